//! Serving HTTP/1 to the internet: every connection must send its headers, then its body,
//! within the timeout and may idle no longer; connections beyond the cap are answered 503
//! and closed; a body declared larger than the limit is refused before it is read.

use std::{future::Future, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{Request, State},
    http::{StatusCode, header::CONTENT_LENGTH},
    middleware::Next,
    response::Response,
};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{
    io::AsyncWriteExt,
    net::{TcpListener, TcpStream},
    sync::{Semaphore, watch},
};

use super::{MAX_BODY_BYTES, refusals::RefusalLog};
use crate::config::HttpLimits;

/// The middleware every route gets: the declared length and the time a request may take.
pub fn guarded(router: Router, limits: HttpLimits, refusals: Arc<RefusalLog>) -> Router {
    router.layer(axum::middleware::from_fn_with_state(
        (limits.timeout, refusals),
        guard,
    ))
}

async fn guard(
    State((timeout, refusals)): State<(Duration, Arc<RefusalLog>)>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return refusals.refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the declared body is too large",
        );
    }
    // The body is read inside the handler, so this bounds a body that never arrives too.
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => refusals.refuse(
            StatusCode::REQUEST_TIMEOUT,
            "the request did not arrive in time",
        ),
    }
}

/// Serves `router` on `listener` until `stopped` completes, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    (router, refusals): (Router, Arc<RefusalLog>),
    limits: HttpLimits,
    stopped: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.timeout);
    let (close, closing) = watch::channel(false);
    tokio::pin!(stopped);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, most likely: let some close before trying again.
                    tracing::warn!(error = %err, "could not accept an HTTP connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            refusals.note(
                StatusCode::SERVICE_UNAVAILABLE,
                &"too many open connections",
            );
            tokio::spawn(refuse_connection(stream));
            continue;
        };
        let connection = http.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(router.clone()),
        );
        let mut closing = closing.clone();
        tokio::spawn(async move {
            let _permit = permit;
            tokio::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(err) = result {
                        tracing::debug!(error = %err, %peer, "HTTP connection ended");
                    }
                }
                () = async { let _ = closing.wait_for(|closing| *closing).await; } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(listener);
    let _ = close.send(true);
    // Every connection holds a permit until it ends: having them all back means all ended.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = connections.acquire_many(all).await;
    Ok(())
}

/// Past the cap a connection is told so at once, rather than left waiting in the backlog.
async fn refuse_connection(mut stream: TcpStream) {
    const ANSWER: &[u8] =
        b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(ANSWER).await?;
        stream.shutdown().await
    })
    .await;
}
