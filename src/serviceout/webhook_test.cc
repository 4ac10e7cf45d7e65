#include "serviceout/webhook.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "net/fake_http_client.h"

namespace steady::serviceout {
namespace {

TEST(RenderTemplate, EscapesValuesAndKeepsJsonBraces) {
  std::string body = RenderTemplate(R"({"text": "{instance} says {detail}", "n": {unknown}})",
                                    {{"instance", "i-1"}, {"detail", "a \"quoted\"\nline\\"}});
  EXPECT_EQ(body, R"({"text": "i-1 says a \"quoted\"\nline\\", "n": {unknown}})");
}

TEST(Webhook, PostsStartAndEndAsSlackJson) {
  net::FakeHttpClient http;
  http.handler = [](const net::HttpRequest&) { return net::HttpResponse{.status = 200}; };
  MetricsRegistry metrics;
  {
    Webhook hook({.url = "http://127.0.0.1:9/hook"}, http, metrics);
    ServiceOutRequest r{.trigger = Trigger::kSpotInterruption,
                        .instance_id = "i-0abc",
                        .detail = "spot interruption warning"};
    hook.Started(r, Location{"arn:aws:ecs:us-east-1:0:cluster/prod", "ci", "ACTIVE"});
    Outcome o;
    o.code = OutcomeCode::kServicedOut;
    o.instance_id = "i-0abc";
    o.cluster = "arn:aws:ecs:us-east-1:0:cluster/prod";
    o.tasks = {"t1", "t2", "t3"};
    o.service_tasks_stopped = 2;
    o.batch_tasks_stopped = 1;
    o.started = FromUnixSeconds(100);
    o.finished = FromUnixSeconds(145);
    hook.Finished(o);
  }  // the destructor sends what is queued
  ASSERT_EQ(http.requests.size(), 2u);
  for (const auto& req : http.requests) {
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.url, "http://127.0.0.1:9/hook");
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << req.body;
    ASSERT_TRUE(j["text"].is_string());
  }
  std::string start = nlohmann::json::parse(http.requests[0].body)["text"];
  EXPECT_NE(start.find("i-0abc"), std::string::npos);
  EXPECT_NE(start.find("spot interruption warning"), std::string::npos);
  std::string end = nlohmann::json::parse(http.requests[1].body)["text"];
  EXPECT_NE(end.find("serviced-out in 45 s: 3 tasks (2 service, 1 batch stopped)"),
            std::string::npos)
      << end;
}

TEST(Webhook, FailuresAreCountedAndDoNotBlock) {
  net::FakeHttpClient http;
  http.handler = [](const net::HttpRequest&) { return net::HttpResponse{.status = 500}; };
  MetricsRegistry metrics;
  {
    Webhook hook({.url = "http://127.0.0.1:9/hook"}, http, metrics);
    hook.Started({.instance_id = "i-1"}, {});
  }
  EXPECT_NE(metrics.Render().find("steady_terminator_webhook_posts_total{result=\"failed\"} 1"),
            std::string::npos)
      << metrics.Render();
}

}  // namespace
}  // namespace steady::serviceout
