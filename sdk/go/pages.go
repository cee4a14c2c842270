package switchboard

import (
	"context"
	"iter"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/switchboard/sdk/go/switchboardv1"
)

// AllIntegrations yields every integration matching req, across all pages, fetching a page
// only once the previous one is consumed. A failed page ends the sequence with its error.
// req.PageToken says where to start; req itself is not changed.
func (c *Client) AllIntegrations(ctx context.Context, req *switchboardv1.ListIntegrationsRequest, opts ...grpc.CallOption) iter.Seq2[*switchboardv1.Integration, error] {
	return pages(ctx, req, c.Integrations.ListIntegrations, opts,
		(*switchboardv1.ListIntegrationsResponse).GetIntegrations,
		func(r *switchboardv1.ListIntegrationsRequest, token string) { r.PageToken = token })
}

// AllChannels yields every channel matching req, across all pages, as AllIntegrations does.
func (c *Client) AllChannels(ctx context.Context, req *switchboardv1.ListChannelsRequest, opts ...grpc.CallOption) iter.Seq2[*switchboardv1.Channel, error] {
	return pages(ctx, req, c.Channels.ListChannels, opts,
		(*switchboardv1.ListChannelsResponse).GetChannels,
		func(r *switchboardv1.ListChannelsRequest, token string) { r.PageToken = token })
}

// AllDeliveries yields every delivery matching req, across all pages, as AllIntegrations
// does.
func (c *Client) AllDeliveries(ctx context.Context, req *switchboardv1.ListDeliveriesRequest, opts ...grpc.CallOption) iter.Seq2[*switchboardv1.Delivery, error] {
	return pages(ctx, req, c.Messaging.ListDeliveries, opts,
		(*switchboardv1.ListDeliveriesResponse).GetDeliveries,
		func(r *switchboardv1.ListDeliveriesRequest, token string) { r.PageToken = token })
}

// pages walks AIP-158 pagination: call list, yield the page's items, repeat with its
// next_page_token until that is empty.
func pages[Req proto.Message, Resp interface{ GetNextPageToken() string }, Item any](
	ctx context.Context,
	req Req,
	list func(context.Context, Req, ...grpc.CallOption) (Resp, error),
	opts []grpc.CallOption,
	items func(Resp) []Item,
	setPageToken func(Req, string),
) iter.Seq2[Item, error] {
	return func(yield func(Item, error) bool) {
		// A copy per walk: each range starts from the caller's request.
		req := proto.CloneOf(req)
		for {
			page, err := list(ctx, req, opts...)
			if err != nil {
				var none Item
				yield(none, err)
				return
			}
			for _, item := range items(page) {
				if !yield(item, nil) {
					return
				}
			}
			token := page.GetNextPageToken()
			if token == "" {
				return
			}
			setPageToken(req, token)
		}
	}
}
