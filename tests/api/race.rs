use futures::future::join_all;
use tonic::Code;

use crate::helpers::*;

const CONCURRENT: usize = 32;
const ROUNDS: usize = 20;

/// 32 concurrent completions for one (team, workspace), each with its own state and code,
/// end with exactly one integration and 31 ALREADY_EXISTS, round after round.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_installs_of_one_workspace_create_exactly_one_integration() {
    let app = TestApp::spawn().await;
    for round in 0..ROUNDS {
        let team = format!("team-{round}");
        let workspace = app.create_workspace(&format!("Race {round}")).await;
        let mut attempts = Vec::with_capacity(CONCURRENT);
        for _ in 0..CONCURRENT {
            let started = app.start_oauth(&team).await;
            let code = app.authorize(&started.authorize_url, &workspace).await;
            attempts.push((code, started.state));
        }

        let outcomes = join_all(
            attempts
                .iter()
                .map(|(code, state)| app.complete(code, state)),
        )
        .await;

        let created: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        assert_eq!(created.len(), 1, "round {round}: {outcomes:?}");
        let winner = &created[0].id;
        for outcome in outcomes.iter().filter_map(|o| o.as_ref().err()) {
            let details = assert_error(outcome, Code::AlreadyExists, "INTEGRATION_ALREADY_EXISTS");
            assert_eq!(
                &details.error_info().unwrap().metadata["integration_id"],
                winner
            );
        }
        let rows: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM integrations WHERE team_id = $1 AND workspace_id = $2",
        )
        .bind(&team)
        .bind(&workspace)
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(rows, 1, "round {round}");
        let duplicates: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM integration_audit WHERE team_id = $1 AND action = 'duplicate_attempt'",
        )
        .bind(&team)
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(duplicates, (CONCURRENT - 1) as i64);
    }
}
