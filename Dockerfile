# The switchboard service image. From the repository root:
#   docker build -t switchboard .
# Two stages: the release build (the cargo command below is the one `scripts/deploy.sh check`
# holds it to) and a distroless runtime with the binary alone, run as a non-root user. No
# HEALTHCHECK: Kubernetes probes the gRPC health service and /readyz (deploy/kubernetes/).

# The builder's Debian (bookworm) must match the runtime's (distroless debian12): the binary
# links against the runtime's glibc.
FROM rust:1.95.0-slim-bookworm AS build
WORKDIR /src

# 1. Dependencies in a layer of their own: the manifests, the lock file, build.rs and the
#    protos it compiles, with stub sources for every target, so that a change under src/
#    rebuilds only switchboard's own crate.
COPY Cargo.toml Cargo.lock build.rs ./
COPY crates/slack-sim/Cargo.toml crates/slack-sim/
COPY sdk/rust/Cargo.toml sdk/rust/
COPY proto proto
COPY deploy/docker/stub-sources.sh deploy/docker/
RUN deploy/docker/stub-sources.sh && cargo build --release --locked --bin switchboard

# 2. The service. COPY keeps the files' times, which may be older than the stubs' build:
#    touching the crate roots makes cargo rebuild them.
COPY src src
COPY migrations migrations
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin switchboard

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/switchboard /usr/local/bin/switchboard
# Numeric, so that Kubernetes' runAsNonRoot can verify it (distroless' "nonroot").
USER 65532:65532
# gRPC, HTTP (Slack events and interactions), admin (probes and /metrics when
# SWITCHBOARD_ADMIN_ADDR is set, as deploy/kubernetes sets it).
EXPOSE 50051 8080 9090
ENTRYPOINT ["/usr/local/bin/switchboard"]
CMD ["serve"]
