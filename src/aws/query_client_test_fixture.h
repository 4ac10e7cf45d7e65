// For the Query-protocol clients' tests (Auto Scaling, CloudWatch, EC2, ELBv2): the client over
// a canned HTTP fake, what it sent (LastForm) and what it is answered (Answer). One attempt per
// call unless a test remakes the transport with other options (Make).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aws/aws_transport.h"
#include "aws/credentials.h"
#include "aws/protocol_query.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "gtest/gtest.h"
#include "net/fake_http_client.h"

namespace steady::aws {

using Form = std::vector<QueryParams::Param>;

template <class Client, ServiceInfo (*kService)()>
class QueryClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TransportOptions t;
    t.endpoint = "http://127.0.0.1:4566";
    t.max_attempts = 1;  // no backoff sleeps unless a test asks for them
    Make(t);
  }
  void Make(TransportOptions t) {
    client_.reset();
    transport_ =
        std::make_unique<AwsTransport>(kService(), t, http_, *credentials_, clock_, metrics_);
    client_ = std::make_unique<Client>(*transport_);
  }
  void Answer(int status, std::string body) {
    http_.handler = [status, body](const net::HttpRequest&) {
      net::HttpResponse r;
      r.status = status;
      r.body = body;
      r.headers.Set("Content-Type", "text/xml");
      return r;
    };
  }
  Form LastForm() {
    EXPECT_FALSE(http_.requests.empty());
    if (http_.requests.empty()) return {};
    return DecodeQueryForm(http_.requests.back().body);
  }

  net::FakeHttpClient http_;
  ManualClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<CredentialsProvider> credentials_ =
      StaticCredentials({.access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret"});
  std::unique_ptr<AwsTransport> transport_;
  std::unique_ptr<Client> client_;
};

}  // namespace steady::aws
