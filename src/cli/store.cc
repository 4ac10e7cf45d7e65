#include "cli/store.h"

#include "aws/aws_context.h"
#include "aws/s3_client.h"
#include "aws/s3_object_store.h"
#include "net/http_server.h"

namespace steady::cli {

OpenedStore::OpenedStore() = default;
OpenedStore::OpenedStore(OpenedStore&&) noexcept = default;
OpenedStore::~OpenedStore() {
  store.reset();  // before the client and transport it uses
  s3.reset();
}

Result<OpenedStore> OpenStore(const std::string& spec, Clock& clock, MetricsRegistry& metrics,
                              const std::string& endpoint_url) {
  ASSIGN_OR_RETURN(aws::StoreSpec parsed, aws::ParseStoreSpec(spec));
  OpenedStore out;
  if (parsed.kind == aws::StoreSpec::Kind::kLocal) {
    ASSIGN_OR_RETURN(out.store, aws::OpenObjectStore(spec, aws::ObjectStoreContext{}));
    return out;
  }
  aws::AwsSettings settings;
  settings.endpoint_url = endpoint_url;
  ASSIGN_OR_RETURN(out.aws,
                   aws::AwsContext::Create(settings, ProcessEnvironment::Get(), clock, metrics));
  ASSIGN_OR_RETURN(aws::AwsTransport * transport, out.aws->Transport(aws::S3ServiceInfo()));
  out.s3 = std::make_unique<aws::S3Client>(*transport);
  ASSIGN_OR_RETURN(auto s3store, aws::S3ObjectStore::Create(*out.s3, parsed.bucket, parsed.prefix));
  out.store = std::move(s3store);
  return out;
}

namespace {

class HttpMetricsEndpoint final : public MetricsEndpoint {
 public:
  HttpMetricsEndpoint(const std::string& listen, MetricsRegistry& registry)
      : server_(net::HttpServerOptions{.listen = listen},
                [&registry](const net::ServerRequest& req) {
                  net::HttpResponse resp;
                  if (req.path == "/metrics") {
                    resp.status = 200;
                    resp.headers.Set("Content-Type", "text/plain; version=0.0.4");
                    resp.body = registry.Render();
                  } else if (req.path == "/healthz") {
                    resp.status = 200;
                    resp.body = "ok\n";
                  } else {
                    resp.status = 404;
                    resp.body = "not found\n";
                  }
                  return resp;
                }) {}
  Status Start() { return server_.Start(); }
  int port() const override { return server_.port(); }

 private:
  net::HttpServer server_;
};

}  // namespace

Result<std::unique_ptr<MetricsEndpoint>> StartMetricsEndpoint(const std::string& listen,
                                                              MetricsRegistry& registry) {
  auto ep = std::make_unique<HttpMetricsEndpoint>(listen, registry);
  RETURN_IF_ERROR(ep->Start());
  return std::unique_ptr<MetricsEndpoint>(std::move(ep));
}

}  // namespace steady::cli
