"""Server reflection (issue 12 item 2): with nothing but the reference reflection client
(grpcio-reflection, what grpcurl-style tools do), a client lists simlayd's services, resolves every
method's types from the served descriptors and calls the daemon; both grpc.reflection.v1 and the older
v1alpha answer. That the embedded descriptors are current is scripts/check-generated.sh's job."""

from __future__ import annotations

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from daemon_support import noise_png, running_daemon

SERVICES = {"simlay.v1.Simlay", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection"}


def _v1(channel, *requests):
    """Sends requests on grpc.reflection.v1 (its messages are the v1alpha ones on the wire)."""
    call = channel.stream_stream("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                                 request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                                 response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
    return list(call(iter(requests), timeout=30))


def test_reference_client_discovers_and_calls_the_daemon(daemon_stubs):
    with running_daemon() as d, grpc.insecure_channel(d.unix_target()) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)  # v1alpha, as grpcio-reflection speaks it
        assert set(database.get_services()) == SERVICES
        pool = descriptor_pool.DescriptorPool(database)
        service = pool.FindServiceByName("simlay.v1.Simlay")
        methods = {m.name for m in service.methods}
        assert {"ListModels", "AddImages", "Similarity", "SimilarityStream", "LayerSync", "Nmf", "Sweep"} <= methods
        for method in service.methods:  # every input and output type resolves, imports included
            assert method.input_type.fields is not None and method.output_type.full_name.startswith("simlay.v1.")
        # A call built from reflection alone, as grpcurl does.
        method = pool.FindMethodByName("simlay.v1.Simlay.ListModels")
        request_cls = message_factory.GetMessageClass(method.input_type)
        response_cls = message_factory.GetMessageClass(method.output_type)
        call = channel.unary_unary("/simlay.v1.Simlay/ListModels", request_serializer=request_cls.SerializeToString,
                                   response_deserializer=response_cls.FromString)
        reply = call(request_cls(), timeout=30)
        assert reply.default_model and reply.models[0].name == reply.default_model
        add = pool.FindMethodByName("simlay.v1.Simlay.AddImages")
        add_cls = message_factory.GetMessageClass(add.input_type)
        request = add_cls()
        upload = request.images.add()
        upload.data, upload.name = noise_png(40, 30, seed=77), "r.png"
        info = channel.unary_unary("/simlay.v1.Simlay/AddImages", request_serializer=add_cls.SerializeToString,
                                   response_deserializer=message_factory.GetMessageClass(add.output_type).FromString)(
            request, timeout=30).images[0]
        assert (info.width, info.height) == (40, 30)


def test_v1_answers_every_request_kind(daemon_stubs):
    R = reflection_pb2.ServerReflectionRequest
    with running_daemon() as d, grpc.insecure_channel(d.unix_target()) as channel:
        listed, by_symbol, by_method, nested, by_file, unknown, missing = _v1(
            channel, R(list_services=""), R(file_containing_symbol="simlay.v1.Simlay"),
            R(file_containing_symbol="simlay.v1.Simlay.Similarity"),
            R(file_containing_symbol="simlay.v1.SimilarityRequest"),
            R(file_by_filename="grpc/health/v1/health.proto"), R(file_containing_symbol="no.such.Thing" + "x" * 5000),
            R(host="h"))
        assert {s.name for s in listed.list_services_response.service} == SERVICES
        for response in (by_symbol, by_method, nested):
            files = [descriptor_pb2.FileDescriptorProto.FromString(b)
                     for b in response.file_descriptor_response.file_descriptor_proto]
            assert files[0].name == "simlay/v1/simlay.proto" and files[0].package == "simlay.v1"
            assert any(s.name == "Simlay" for s in files[0].service)
        health = descriptor_pb2.FileDescriptorProto.FromString(by_file.file_descriptor_response.file_descriptor_proto[0])
        assert health.package == "grpc.health.v1"
        assert unknown.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
        assert len(unknown.error_response.error_message) < 300  # the 5000-character name is not echoed whole
        assert missing.error_response.error_code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
        assert unknown.original_request.file_containing_symbol.startswith("no.such.Thing")
