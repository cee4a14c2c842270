//! The platform catalogue: which platforms exist, their category, and which this service
//! can connect today.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrationCategory {
    Ticketing,
    Crm,
    Messaging,
    Communication,
    ProjectManagement,
    CodeRepository,
    Webhook,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform {
    pub name: &'static str,
    pub category: IntegrationCategory,
    pub connectable: bool,
}

pub const SLACK: &str = "slack";

const fn platform(name: &'static str, category: IntegrationCategory) -> Platform {
    Platform {
        name,
        category,
        connectable: false,
    }
}

pub const PLATFORMS: &[Platform] = &[
    platform("jira", IntegrationCategory::Ticketing),
    platform("servicenow", IntegrationCategory::Ticketing),
    platform("zendesk", IntegrationCategory::Ticketing),
    platform("freshdesk", IntegrationCategory::Ticketing),
    platform("salesforce", IntegrationCategory::Crm),
    platform("hubspot", IntegrationCategory::Crm),
    Platform {
        name: SLACK,
        category: IntegrationCategory::Messaging,
        connectable: true,
    },
    platform("teams", IntegrationCategory::Messaging),
    platform("email", IntegrationCategory::Communication),
    platform("sms", IntegrationCategory::Communication),
    platform("zoom", IntegrationCategory::Communication),
    platform("github", IntegrationCategory::CodeRepository),
    platform("asana", IntegrationCategory::ProjectManagement),
    platform("trello", IntegrationCategory::ProjectManagement),
    platform("webhook", IntegrationCategory::Webhook),
];

impl Platform {
    pub fn find(name: &str) -> Option<&'static Platform> {
        PLATFORMS.iter().find(|p| p.name == name)
    }
}

impl IntegrationCategory {
    /// The platforms of this category, for filtering stored integrations by category.
    pub fn platform_names(self) -> Vec<&'static str> {
        PLATFORMS
            .iter()
            .filter(|p| p.category == self)
            .map(|p| p.name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_slack_is_connectable() {
        let connectable: Vec<_> = PLATFORMS.iter().filter(|p| p.connectable).collect();
        assert_eq!(connectable.len(), 1);
        assert_eq!(connectable[0].name, "slack");
        assert_eq!(
            Platform::find("slack").unwrap().category,
            IntegrationCategory::Messaging
        );
    }

    #[test]
    fn categories_match_the_catalogue() {
        assert_eq!(
            IntegrationCategory::Ticketing.platform_names(),
            ["jira", "servicenow", "zendesk", "freshdesk"]
        );
        assert_eq!(
            IntegrationCategory::Messaging.platform_names(),
            ["slack", "teams"]
        );
        assert_eq!(IntegrationCategory::Webhook.platform_names(), ["webhook"]);
    }
}
