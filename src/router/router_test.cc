#include "router/router.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "aws/credentials.h"
#include "aws/local_object_store.h"
#include "aws/s3_client.h"
#include "aws/s3_object_store.h"
#include "base/temp_dir.h"
#include "net/http_client_curl.h"
#include "region/region.h"
#include "region/s3_model.h"
#include "router/router_testing.h"

namespace steady::router {
namespace {

using testing::Generate;
using testing::SourceKey;

std::string S3Event(const std::string& bucket, const std::string& key, uint64_t size = 1) {
  nlohmann::json rec = {{"eventVersion", "2.1"},
                        {"eventSource", "aws:s3"},
                        {"eventName", "ObjectCreated:Put"},
                        {"s3",
                         {{"bucket", {{"name", bucket}}},
                          {"object", {{"key", region::S3EventKeyEncode(key)}, {"size", size}}}}}};
  return nlohmann::json{{"Records", {rec}}}.dump();
}

double CounterValue(MetricsRegistry& m, const std::string& name, const std::string& label) {
  return m.AddCounter(name, "", {"x"}).With({label}).value();
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = region::Region::Open(region::RegionOptions{}, clock_, region_metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    auto applied = region_->ApplySetupYaml(R"(
queues:
  - name: router-dlq
  - name: router-events
    attributes: {VisibilityTimeout: "120"}
)",
                                           "test.yaml");
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
    queue_ = *region_->sqs().GetQueueUrl("router-events");
    dlq_ = *region_->sqs().GetQueueUrl("router-dlq");
    auto s = aws::LocalObjectStore::Open(dir_.path(), {.fsync = false});
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
  }

  RouterOptions Options() {
    RouterOptions o;
    o.queue_url = queue_;
    o.bucket = "steady-logs";
    o.workers = 2;
    return o;
  }

  aws::SqsMessage Send(const std::string& body) {
    EXPECT_TRUE(region_->sqs().SendMessage({.queue_url = queue_, .message_body = body}).ok());
    auto got = region_->sqs().ReceiveMessage(
        {.queue_url = queue_, .max_number_of_messages = 1, .wait_time_seconds = 0});
    EXPECT_TRUE(got.ok() && got->size() == 1);
    return got.ok() && !got->empty() ? got->front() : aws::SqsMessage{};
  }

  region::SqsModel::Counts Counts(const std::string& q) { return *region_->sqs().QueueCounts(q); }

  std::string PutSource(const testing::Generated& g, uint64_t index = 0) {
    std::string key = logs::FormatServiceLogKey(SourceKey("web", "app", index));
    EXPECT_TRUE(store_->Put(key, g.gz).ok());
    return key;
  }

  std::string Inflated(const std::string& key) {
    auto gz = store_->Get(key);
    EXPECT_TRUE(gz.ok()) << key;
    std::string out;
    EXPECT_TRUE(logs::GunzipMembers(gz.value_or(""), &out, 1 << 30).ok());
    return out;
  }

  ManualClock clock_{FromUnixSeconds(1700000000)};
  MetricsRegistry region_metrics_, metrics_;
  std::unique_ptr<region::Region> region_;
  std::string queue_, dlq_;
  testutil::TempDir dir_{"router-test"};
  std::unique_ptr<aws::LocalObjectStore> store_;
};

TEST_F(RouterTest, MessageIsSplitThenDeleted) {
  auto g = Generate(3000, 4);
  std::string key = PutSource(g);
  Router router(Options(), *store_, &region_->sqs(), clock_, metrics_);
  EXPECT_EQ(router.HandleMessage(Send(S3Event("steady-logs", key))), MessageAction::kDeleted);
  EXPECT_EQ(Counts(queue_).visible + Counts(queue_).in_flight, 0);
  for (const auto& [task, lines] : g.expected)
    EXPECT_EQ(Inflated(logs::TaskLogKeyFor("task-logs", SourceKey(), task)), lines);
  EXPECT_EQ(CounterValue(metrics_, "steady_router_objects_total", "ok"), 1);
  EXPECT_EQ(CounterValue(metrics_, "steady_router_lines_total", "task") +
                CounterValue(metrics_, "steady_router_lines_total", "no_task_id"),
            static_cast<double>(g.lines));
  EXPECT_EQ(metrics_.AddHistogram("steady_router_object_seconds", "").Get().count(), 1u);
  std::string text = metrics_.Render();
  EXPECT_NE(text.find("steady_router_bytes_total{direction=\"inflated\"}"), std::string::npos);
}

TEST_F(RouterTest, TestEventsAndForeignKeysAreDeleted) {
  Router router(Options(), *store_, &region_->sqs(), clock_, metrics_);
  EXPECT_EQ(router.HandleMessage(Send(R"({"Service":"Amazon S3","Event":"s3:TestEvent"})")),
            MessageAction::kDeleted);
  EXPECT_EQ(router.HandleMessage(Send(S3Event("other-bucket", "service-logs/x.gz"))),
            MessageAction::kDeleted);
  EXPECT_EQ(router.HandleMessage(Send(S3Event("steady-logs", "elsewhere/x.gz"))),
            MessageAction::kDeleted);
  EXPECT_EQ(router.HandleMessage(Send(S3Event("steady-logs", "service-logs/web/app/not-ours.gz"))),
            MessageAction::kDeleted);
  EXPECT_EQ(Counts(queue_).visible + Counts(queue_).in_flight, 0);
  EXPECT_EQ(CounterValue(metrics_, "steady_router_failures_total", "foreign_key"), 3);
  // A source that is gone: nothing to do, the message goes.
  EXPECT_EQ(
      router.HandleMessage(Send(S3Event("steady-logs", logs::FormatServiceLogKey(SourceKey())))),
      MessageAction::kDeleted);
  EXPECT_EQ(CounterValue(metrics_, "steady_router_failures_total", "missing_object"), 1);
}

TEST_F(RouterTest, MalformedMessagesStayForRedriveOrGoToTheDeadLetterQueue) {
  {
    Router router(Options(), *store_, &region_->sqs(), clock_, metrics_);
    EXPECT_EQ(router.HandleMessage(Send("garbage")), MessageAction::kLeft);
    EXPECT_EQ(Counts(queue_).in_flight, 1);
  }
  RouterOptions o = Options();
  o.dead_letter_queue_url = dlq_;
  Router router(o, *store_, &region_->sqs(), clock_, metrics_);
  EXPECT_EQ(router.HandleMessage(Send(R"({"Records":"x"})")), MessageAction::kDeadLettered);
  EXPECT_EQ(Counts(dlq_).visible, 1);
  auto dead = region_->sqs().ReceiveMessage(
      {.queue_url = dlq_, .wait_time_seconds = 0, .message_attribute_names = {"All"}});
  ASSERT_TRUE(dead.ok() && dead->size() == 1);
  EXPECT_EQ(dead->front().body, R"({"Records":"x"})");
  EXPECT_TRUE(dead->front().message_attributes.count("steady-reason"));
  EXPECT_EQ(CounterValue(metrics_, "steady_router_failures_total", "malformed_message"), 2);
}

// Fails every write (a store outage).
class DownStore final : public aws::ObjectStore {
 public:
  explicit DownStore(aws::ObjectStore& inner) : inner_(inner) {}
  Status Put(std::string_view, std::string_view) override { return UnavailableError("down"); }
  Result<std::unique_ptr<aws::ObjectWriter>> NewWriter(std::string_view) override {
    return UnavailableError("down");
  }
  Result<std::string> Get(std::string_view k) override { return inner_.Get(k); }
  Result<std::string> GetRange(std::string_view k, uint64_t o, uint64_t n) override {
    return inner_.GetRange(k, o, n);
  }
  Result<aws::ObjectInfo> Head(std::string_view k) override { return inner_.Head(k); }
  Result<aws::ListPage> List(const aws::ListOptions& o, std::string_view t) override {
    return inner_.List(o, t);
  }
  using ObjectStore::Delete;
  Status Delete(std::span<const std::string> keys) override { return inner_.Delete(keys); }
  std::string Describe() const override { return "down"; }

 private:
  aws::ObjectStore& inner_;
};

TEST_F(RouterTest, StoreFailureRetriesLaterAndTheRetryFinishes) {
  auto g = Generate(1000, 2);
  std::string key = PutSource(g);
  DownStore down(*store_);
  RouterOptions o = Options();
  o.retry_after = std::chrono::seconds(30);
  {
    Router router(o, down, &region_->sqs(), clock_, metrics_);
    EXPECT_EQ(router.HandleMessage(Send(S3Event("steady-logs", key))), MessageAction::kRetryLater);
  }
  EXPECT_EQ(Counts(queue_).in_flight, 1);
  clock_.Advance(std::chrono::seconds(31));
  auto again = region_->sqs().ReceiveMessage({.queue_url = queue_, .wait_time_seconds = 0});
  ASSERT_TRUE(again.ok() && again->size() == 1);
  Router router(o, *store_, &region_->sqs(), clock_, metrics_);
  EXPECT_EQ(router.HandleMessage(again->front()), MessageAction::kDeleted);
  EXPECT_EQ(Counts(queue_).visible + Counts(queue_).in_flight, 0);
  for (const auto& [task, lines] : g.expected)
    EXPECT_EQ(Inflated(logs::TaskLogKeyFor("task-logs", SourceKey(), task)), lines);
}

TEST_F(RouterTest, StopHandsTheMessageBackAtOnce) {
  std::string key = PutSource(Generate(100, 1));
  Router router(Options(), *store_, &region_->sqs(), clock_, metrics_);
  std::stop_source stop;
  stop.request_stop();
  EXPECT_EQ(router.HandleMessage(Send(S3Event("steady-logs", key)), stop.get_token()),
            MessageAction::kReturned);
  EXPECT_EQ(Counts(queue_).visible, 1);
}

TEST_F(RouterTest, BackfillProcessesTheObjectsInTheRange) {
  // Minutes 0, 1 and 2 of 2018-11-28.
  std::vector<testing::Generated> gens;
  for (int i = 0; i < 3; ++i) {
    gens.push_back(Generate(200, 2, 64 * 1024, 10 + i));
    logs::ServiceLogKey k = SourceKey();
    k.name.minute = 25723560 + i;
    ASSERT_TRUE(store_->Put(logs::FormatServiceLogKey(k), gens.back().gz).ok());
  }
  ASSERT_TRUE(store_->Put("service-logs/web/app/2018/11/28/README", "not an object of ours").ok());
  Router router(Options(), *store_, nullptr, clock_, metrics_);
  logs::TimeRange range{FromUnixSeconds(25723561 * 60), FromUnixSeconds(25723563 * 60)};
  auto report = router.Backfill(range);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->objects, 2u);
  EXPECT_EQ(report->ok, 2u);
  EXPECT_EQ(report->lines, 400u);
  for (int i = 0; i < 3; ++i) {
    logs::ServiceLogKey k = SourceKey();
    k.name.minute = 25723560 + i;
    auto head = store_->Head(logs::TaskLogKeyFor("task-logs", k, "task0"));
    EXPECT_EQ(head.ok(), i != 0) << i;
  }
}

// The whole path in the local region over HTTP: an object put into the bucket, the bucket's
// notification in the queue, the router's workers, the task objects in the bucket.
TEST(RouterRegionTest, ObjectPutInTheBucketIsRoutedAndItsMessageDeleted) {
  MetricsRegistry metrics;
  region::RegionOptions ro;
  ro.listen = "127.0.0.1:0";
  auto r = region::Region::Open(ro, SystemClock::Get(), metrics);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto region = std::move(*r);
  ASSERT_TRUE(region->Start().ok());
  auto applied = region->ApplySetupYaml(R"(
queues:
  - name: router-dlq
  - name: router-events
    attributes: {VisibilityTimeout: "120"}
    dead_letter: {queue: router-dlq, max_receive_count: 5}
buckets:
  - name: steady-logs
    notifications:
      - {queue: router-events, events: ["s3:ObjectCreated:*"], prefix: service-logs/}
)",
                                        "test.yaml");
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  net::CurlHttpClient http;
  auto creds = aws::StaticCredentials({"AKIDTEST", "secret", "", std::nullopt});
  aws::TransportOptions to;
  to.endpoint = region->endpoint();
  aws::AwsTransport transport(aws::S3ServiceInfo(), to, http, *creds, SystemClock::Get(), metrics);
  aws::S3Client client(transport);
  auto store = aws::S3ObjectStore::Create(client, "steady-logs", "");
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  RouterOptions o;
  o.queue_url = *region->sqs().GetQueueUrl("router-events");
  o.bucket = "steady-logs";
  o.wait_time_seconds = 1;
  Router router(o, **store, &region->sqs(), SystemClock::Get(), metrics);
  ASSERT_TRUE(router.Start().ok());

  auto g = Generate(5000, 3);
  std::string key = logs::FormatServiceLogKey(SourceKey());
  ASSERT_TRUE((*store)->Put(key, g.gz).ok());

  auto done = [&] {
    auto c = region->sqs().QueueCounts("router-events");
    return c.ok() && c->visible == 0 && c->in_flight == 0 &&
           CounterValue(metrics, "steady_router_objects_total", "ok") == 1;
  };
  for (int i = 0; i < 300 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  router.Stop();
  ASSERT_TRUE(done());
  for (const auto& [task, lines] : g.expected) {
    auto gz = (*store)->Get(logs::TaskLogKeyFor("task-logs", SourceKey(), task));
    ASSERT_TRUE(gz.ok()) << task;
    std::string text;
    ASSERT_TRUE(logs::GunzipMembers(*gz, &text, 1 << 30).ok());
    EXPECT_EQ(text, lines);
  }
  // The task objects are outside the notification's prefix: no new messages.
  EXPECT_EQ(region->sqs().QueueCounts("router-events")->visible, 0);
  region->Stop();
}

}  // namespace
}  // namespace steady::router
