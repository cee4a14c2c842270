//! A TCP proxy between the service and Postgres that the test can cut: a real outage,
//! not a mocked database. Cut, it closes every proxied connection and holds new ones
//! unanswered (as a partitioned network does) until it is restored.

use std::net::SocketAddr;

use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

pub struct DbProxy {
    addr: SocketAddr,
    cut: watch::Sender<bool>,
}

impl DbProxy {
    /// A proxy to the server of `db_url`.
    pub async fn start(db_url: &str) -> Self {
        let url = url::Url::parse(db_url).expect("a postgres:// URL");
        let upstream = format!(
            "{}:{}",
            url.host_str().expect("a host"),
            url.port().unwrap_or(5432)
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, cut_rx) = watch::channel(false);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(forward(client, upstream.clone(), cut_rx.clone()));
            }
        });
        Self { addr, cut }
    }

    /// `db_url` with the proxy in place of the server.
    pub fn url(&self, db_url: &str) -> String {
        let mut url = url::Url::parse(db_url).unwrap();
        url.set_host(Some(&self.addr.ip().to_string())).unwrap();
        url.set_port(Some(self.addr.port())).unwrap();
        url.to_string()
    }

    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

async fn forward(mut client: TcpStream, upstream: String, mut cut: watch::Receiver<bool>) {
    // While cut, a new connection gets no answer at all.
    if cut.wait_for(|cut| !*cut).await.is_err() {
        return;
    }
    let Ok(mut server) = TcpStream::connect(&upstream).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        // Dropping both ends breaks the connection under whoever holds it.
        _ = cut.wait_for(|cut| *cut) => {}
    }
}
