package switchboard

import (
	"context"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/switchboard/sdk/go/switchboardv1"
)

// fillIDs gives a request its idempotency ids before the first attempt, so every retry
// carries the same ones and the service applies the call once: an empty
// internal_message_id of a new message (SendMessage, ReplyToMessage, each item of
// BatchSendMessages) and an unset request_id (AIP-155; ReconnectIntegration, UpdateMessage,
// DeleteMessage, BatchSendMessages). The ids are written into the caller's request, so
// the caller learns them and sending the same request value again is safe too.
func fillIDs(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	switch r := req.(type) {
	case *switchboardv1.SendMessageRequest:
		fillEmpty(&r.InternalMessageId)
	case *switchboardv1.ReplyToMessageRequest:
		fillEmpty(&r.InternalMessageId)
	case *switchboardv1.BatchSendMessagesRequest:
		for _, item := range r.GetRequests() {
			fillEmpty(&item.InternalMessageId)
		}
	}
	if m, ok := req.(proto.Message); ok {
		fillRequestID(m.ProtoReflect())
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

func fillEmpty(id *string) {
	if *id == "" {
		*id = uuid.NewString()
	}
}

// fillRequestID sets the AIP-155 field `optional string request_id` of any request that
// has one, so a mutation that gains one later is covered without a change here.
func fillRequestID(m protoreflect.Message) {
	field := m.Descriptor().Fields().ByName("request_id")
	if field != nil && field.Kind() == protoreflect.StringKind && field.HasPresence() && !m.Has(field) {
		m.Set(field, protoreflect.ValueOfString(uuid.NewString()))
	}
}
