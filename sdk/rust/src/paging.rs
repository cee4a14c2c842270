//! Streams over the paged listings: every item of every page, the next page fetched only
//! when the stream reaches it.

use futures_util::{Stream, StreamExt, stream};

use crate::{
    Client, Error,
    proto::v1::{
        Channel, Delivery, Integration, ListChannelsRequest, ListDeliveriesRequest,
        ListIntegrationsRequest,
    },
};

/// Pages from `fetch` (a request with the page token set -> the items and the next
/// token), flattened into items; ends after the page whose next token is empty.
fn pages<Req, Item, F, Fut>(
    first: Req,
    set_token: fn(&mut Req, String),
    fetch: F,
) -> impl Stream<Item = Result<Item, Error>>
where
    Req: Clone,
    F: FnMut(Req) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<Item>, String), tonic::Status>>,
{
    // State: the request for the next page, or None once the last page was fetched.
    stream::unfold((Some(first), fetch), move |(next, mut fetch)| async move {
        let request = next?;
        match fetch(request.clone()).await {
            Ok((items, token)) => {
                let next = (!token.is_empty()).then(|| {
                    let mut request = request;
                    set_token(&mut request, token);
                    request
                });
                Some((
                    stream::iter(items.into_iter().map(Ok)).left_stream(),
                    (next, fetch),
                ))
            }
            Err(status) => Some((
                stream::iter([Err(Error::from(status))]).right_stream(),
                (None, fetch),
            )),
        }
    })
    .flatten()
}

/// `Client::$name(request)`: every item of the listing `$rpc`, all pages.
macro_rules! listing {
    ($(#[$doc:meta])* $name:ident, $stub:ident, $rpc:ident, $request:ty, $item:ty, $items:ident) => {
        $(#[$doc])*
        pub fn $name(&self, request: $request) -> impl Stream<Item = Result<$item, Error>> + use<> {
            let client = self.$stub();
            pages(request, |r, t| r.page_token = t, move |r| {
                let mut client = client.clone();
                async move {
                    let page = client.$rpc(r).await?.into_inner();
                    Ok((page.$items, page.next_page_token))
                }
            })
        }
    };
}

impl Client {
    listing!(
        /// Every integration `request` matches, all pages.
        all_integrations, integrations, list_integrations, ListIntegrationsRequest, Integration, integrations
    );
    listing!(
        /// Every channel of the integration's workspace that `request` matches, all pages.
        all_channels, channels, list_channels, ListChannelsRequest, Channel, channels
    );
    listing!(
        /// Every delivery `request` matches, all pages.
        all_deliveries, messaging, list_deliveries, ListDeliveriesRequest, Delivery, deliveries
    );
}
