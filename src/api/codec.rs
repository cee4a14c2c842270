//! The protobuf codec of every service: tonic's, except that a request prost cannot decode
//! (bad wire data, or nesting past prost's recursion limit, e.g. deeply nested `blocks`) is
//! the caller's mistake, INVALID_ARGUMENT, not tonic's INTERNAL.

use std::marker::PhantomData;

use prost::Message;
use tonic::{
    Code, Status,
    codec::{BufferSettings, Codec, DecodeBuf, Decoder},
};
use tonic_prost::ProstEncoder;
use tonic_types::StatusExt;

use super::Reason;

#[derive(Debug, Clone, Copy)]
pub struct ProtoCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for ProtoCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> Codec for ProtoCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = ProtoDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::new(BufferSettings::default())
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProtoDecoder(PhantomData)
    }
}

#[derive(Debug)]
pub struct ProtoDecoder<U>(PhantomData<U>);

impl<U: Message + Default> Decoder for ProtoDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        U::decode(buf).map(Some).map_err(|err| {
            let mut details = Reason::InvalidArgument.details(&[]);
            let problem = format!("is not a valid protobuf message (too deeply nested?): {err}");
            details.add_bad_request_violation("request", problem.clone());
            Status::with_error_details(
                Code::InvalidArgument,
                format!("request: {problem}"),
                details,
            )
        })
    }
}
