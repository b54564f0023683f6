// A small C++ client of simlayd, built by Tests/python/test_cpp_client.py with Debian's libgrpc++ from the
// stubs `protoc --cpp_out --grpc_out` makes of Protos/ (nothing generated is committed): proof that the
// wire contract works from another language, byte for byte.
//
//   simlay_client TARGET TOKEN LAYER Y X OUT IMAGE...
//
// TARGET is a gRPC target (unix:/path/d.sock or 127.0.0.1:PORT); TOKEN is "-" for none. Calls ListModels,
// AddImages (the files' bytes) and Similarity (cell Y,X of the first image against all of them); writes the
// answer's raw float32 map bytes to OUT and prints one line: default model, image ids, the maps' shape.
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "simlay/v1/simlay.grpc.pb.h"

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Check(const grpc::Status& status, const char* method) {
  if (!status.ok()) {
    std::ostringstream message;
    message << method << " failed: code " << status.error_code() << ": " << status.error_message();
    throw std::runtime_error(message.str());
  }
}

void Prepare(grpc::ClientContext& context, const std::string& token) {
  if (token != "-") context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 8) {
    std::cerr << "usage: simlay_client TARGET TOKEN LAYER Y X OUT IMAGE...\n";
    return 2;
  }
  const std::string target = argv[1], token = argv[2], layer = argv[3], out = argv[6];
  const int y = std::stoi(argv[4]), x = std::stoi(argv[5]);
  try {
    grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(256 << 20);  // large answers: the stock limit is 4 MiB
    auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
    auto stub = simlay::v1::Simlay::NewStub(channel);

    simlay::v1::ListModelsResponse models;
    {
      grpc::ClientContext context;
      Prepare(context, token);
      Check(stub->ListModels(&context, simlay::v1::ListModelsRequest(), &models), "ListModels");
    }

    simlay::v1::AddImagesRequest add;
    for (int i = 7; i < argc; ++i) {
      simlay::v1::ImageUpload* upload = add.add_images();
      upload->set_data(ReadFile(argv[i]));
      upload->set_name(argv[i]);
    }
    simlay::v1::AddImagesResponse added;
    {
      grpc::ClientContext context;
      Prepare(context, token);
      Check(stub->AddImages(&context, add, &added), "AddImages");
    }

    simlay::v1::SimilarityRequest query;
    query.set_layer(layer);
    query.mutable_query()->set_image_id(added.images(0).id());
    query.mutable_query()->mutable_cell()->set_y(y);
    query.mutable_query()->mutable_cell()->set_x(x);
    for (const auto& image : added.images()) query.add_target_ids(image.id());
    simlay::v1::SimilarityResponse answer;
    {
      grpc::ClientContext context;
      Prepare(context, token);
      Check(stub->Similarity(&context, query, &answer), "Similarity");
    }

    std::ofstream(out, std::ios::binary) << answer.maps().data();
    std::cout << "default_model=" << models.default_model() << " ids=";
    for (int i = 0; i < added.images_size(); ++i) std::cout << (i ? "," : "") << added.images(i).id();
    std::cout << " shape=";
    for (int i = 0; i < answer.maps().shape_size(); ++i) std::cout << (i ? "x" : "") << answer.maps().shape(i);
    std::cout << "\n";
  } catch (const std::exception& error) {
    std::cerr << "simlay_client: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
