"""The protoc plugin `grpc_python` for buf.

gRPC's Python stub generator ships only compiled into grpcio-tools' protoc (`--grpc_python_out`),
never as a protoc-gen-* executable, and buf proxies through protoc only for protoc's own
generators. So this does what buf's proxy does: it takes the CodeGeneratorRequest, runs
grpcio-tools' protoc over the request's descriptors, and answers the files it wrote.
Run with the Python of the virtualenv scripts/sdk/python.sh installs grpcio-tools into.
"""

import pathlib
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc

request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
response = plugin_pb2.CodeGeneratorResponse(
    supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
)
with tempfile.TemporaryDirectory() as tmp:
    descriptors = pathlib.Path(tmp, "descriptors.binpb")
    descriptors.write_bytes(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
    out = pathlib.Path(tmp, "out")
    out.mkdir()
    options = f"{request.parameter}:" if request.parameter else ""
    status = protoc.main(
        ["protoc", f"--descriptor_set_in={descriptors}", f"--grpc_python_out={options}{out}",
         *request.file_to_generate]
    )
    if status != 0:
        response.error = f"grpc_tools.protoc exited with {status}"
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        response.file.add(name=path.relative_to(out).as_posix(), content=path.read_text())
sys.stdout.buffer.write(response.SerializeToString())
