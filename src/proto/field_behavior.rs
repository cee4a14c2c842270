//! Every field the server fills in an answer says so (AIP-203): a field of a message that
//! answers carry is `OUTPUT_ONLY` unless callers can also send that message, and then it
//! still carries a field behavior, so each new field is a decision, not an accident.

use std::collections::BTreeSet;

use prost_reflect::{DescriptorPool, Kind, MessageDescriptor, Value};

use super::FILE_DESCRIPTOR_SET;

const PACKAGE: &str = "switchboard.v1";
/// google.api.FieldBehavior.OUTPUT_ONLY.
const OUTPUT_ONLY: i32 = 3;
/// Messages answers carry besides the RPCs' own: error details.
const ERROR_DETAILS: &[&str] = &["switchboard.v1.ReconnectDetails"];

fn pool() -> DescriptorPool {
    DescriptorPool::decode(FILE_DESCRIPTOR_SET).expect("the build's descriptor set decodes")
}

/// `roots` and every message of this package reachable from them through fields.
fn reachable(roots: impl IntoIterator<Item = MessageDescriptor>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<MessageDescriptor> = roots.into_iter().collect();
    while let Some(message) = todo.pop() {
        if message.package_name() != PACKAGE || !seen.insert(message.full_name().to_owned()) {
            continue;
        }
        for field in message.fields() {
            if let Kind::Message(child) = field.kind() {
                todo.push(child);
            }
        }
    }
    seen
}

fn field_behaviors(pool: &DescriptorPool, field: &prost_reflect::FieldDescriptor) -> Vec<i32> {
    let extension = pool
        .get_extension_by_name("google.api.field_behavior")
        .expect("field_behavior.proto is in the descriptor set");
    match field.options().get_extension(&extension).as_ref() {
        Value::List(values) => values.iter().filter_map(Value::as_enum_number).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn every_field_of_an_answer_has_its_field_behavior() {
    let pool = pool();
    let methods: Vec<_> = pool
        .services()
        .flat_map(|s| s.methods().collect::<Vec<_>>())
        .collect();
    assert!(
        methods.len() >= 26,
        "the services' RPCs are in the descriptor set"
    );
    let sent = reachable(methods.iter().map(|m| m.input()));
    let answered = reachable(
        methods.iter().map(|m| m.output()).chain(
            ERROR_DETAILS
                .iter()
                .map(|name| pool.get_message_by_name(name).expect("error detail exists")),
        ),
    );

    let mut wrong = Vec::new();
    for name in &answered {
        // A response wrapper is output by definition (AIP-203 leaves it unannotated); the
        // resources and entries inside it are walked on their own.
        if name.ends_with("Response") {
            continue;
        }
        let message = pool
            .get_message_by_name(name)
            .expect("reachable message exists");
        let callers_send_it = sent.contains(name);
        for field in message.fields() {
            let behaviors = field_behaviors(&pool, &field);
            if behaviors.is_empty() {
                wrong.push(format!("{}: no field_behavior", field.full_name()));
            } else if !callers_send_it && !behaviors.contains(&OUTPUT_ONLY) {
                wrong.push(format!(
                    "{}: only in answers, so OUTPUT_ONLY",
                    field.full_name()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "fields to annotate:\n{}",
        wrong.join("\n")
    );
    // The check sees the resources it is about.
    for resource in ["Integration", "Delivery", "NotificationChannel", "Channel"] {
        assert!(
            answered.contains(&format!("{PACKAGE}.{resource}")),
            "{resource}"
        );
    }
}
