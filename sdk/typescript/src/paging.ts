import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CallOptions, Client } from "@connectrpc/connect";
import type { ChannelService, ListChannelsRequestSchema } from "./gen/switchboard/v1/channel_service_pb.js";
import type {
  IntegrationService,
  ListIntegrationsRequestSchema,
} from "./gen/switchboard/v1/integration_service_pb.js";
import type { ListDeliveriesRequestSchema, MessagingService } from "./gen/switchboard/v1/messaging_service_pb.js";

// Lazy iterators over the paged listings (AIP-158): every item of every page, in order, a
// page being fetched only once the items before it have been consumed. The request's
// page_size and filters apply to every page; its page_token, if any, is where to start.

/** Every integration that ListIntegrations lists for `request`. */
export function allIntegrations(
  client: Pick<Client<typeof IntegrationService>, "listIntegrations">,
  request: MessageInitShape<typeof ListIntegrationsRequestSchema> = {},
  options?: CallOptions,
) {
  return items(request, (pageToken) => client.listIntegrations({ ...request, pageToken }, options), (page) => page.integrations);
}

/** Every channel that ListChannels lists for `request`. */
export function allChannels(
  client: Pick<Client<typeof ChannelService>, "listChannels">,
  request: MessageInitShape<typeof ListChannelsRequestSchema>,
  options?: CallOptions,
) {
  return items(request, (pageToken) => client.listChannels({ ...request, pageToken }, options), (page) => page.channels);
}

/** Every delivery that ListDeliveries lists for `request`. */
export function allDeliveries(
  client: Pick<Client<typeof MessagingService>, "listDeliveries">,
  request: MessageInitShape<typeof ListDeliveriesRequestSchema>,
  options?: CallOptions,
) {
  return items(request, (pageToken) => client.listDeliveries({ ...request, pageToken }, options), (page) => page.deliveries);
}

async function* items<Page extends { nextPageToken: string }, Item>(
  request: { pageToken?: string },
  fetch: (pageToken: string) => Promise<Page>,
  itemsOf: (page: Page) => Item[],
): AsyncGenerator<Item, void, undefined> {
  let pageToken = request.pageToken ?? "";
  do {
    const page = await fetch(pageToken);
    yield* itemsOf(page);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
}
