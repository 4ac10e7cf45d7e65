// `steady logs sql` (search/sql.h) and `steady logs catalog` (search/catalog.h), added to the
// `logs` group by logs_cmd.cc.
#include <signal.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>

#include "aws/aws_context.h"
#include "aws/glue_client.h"
#include "base/clock.h"
#include "base/env.h"
#include "base/metrics.h"
#include "cli/commands.h"
#include "cli/store.h"
#include "search/catalog.h"
#include "search/log_store.h"
#include "search/sql.h"
#include "search/time_arg.h"

namespace steady::cli {

namespace {

constexpr int kExitError = 2;

struct SqlFlags {
  std::string store = "var/logs", endpoint, service_prefix = "service-logs", cache_dir;
  std::string query, format = "auto", memory_limit;
  bool stats = false;
  int threads = 0;
  size_t max_width = 0;
};

struct CatalogFlags {
  std::string store = "var/logs", endpoint, service_prefix = "service-logs";
  std::string database = "steady_logs", location, mode = "projection", since, until;
  std::string years = "2015,2099";
  bool apply = false;
};

[[noreturn]] void Fail(const char* cmd, const std::string& what, const Status& s) {
  // A query error is DuckDB's own message ("Binder Error: ..."); print it as it is.
  std::string text = s.code() == StatusCode::kInvalidArgument ? s.message() : s.ToString();
  std::fprintf(stderr, "steady logs %s: %s%s\n", cmd, what.empty() ? "" : (what + ": ").c_str(),
               text.c_str());
  throw CLI::RuntimeError(kExitError);
}

// main() blocks SIGINT/SIGTERM for the daemons; a query should die on Ctrl-C.
void DefaultTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

void AddStoreFlags(CLI::App* cmd, std::string& store, std::string& endpoint,
                   std::string& service_prefix) {
  cmd->add_option("--store", store, "DIR or s3://BUCKET[/PREFIX] (default var/logs)")
      ->envname("STEADY_LOGS_STORE");
  cmd->add_option("--endpoint-url", endpoint, "send S3 calls here (e.g. steady up's region)");
  cmd->add_option("--service-prefix", service_prefix, "service-log key prefix (service-logs)");
}

void RunSql(const SqlFlags& f) {
  DefaultTerminationSignals();
  std::string format = f.format;
  if (format == "auto") format = isatty(STDOUT_FILENO) ? "table" : "csv";

  auto start = std::chrono::steady_clock::now();
  MetricsRegistry& registry = MetricsRegistry::Default();
  auto opened = OpenStore(f.store, SystemClock::Get(), registry, f.endpoint);
  if (!opened.ok()) Fail("sql", "cannot open the store", opened.status());
  search::LogStoreOptions options;
  options.service_prefix = f.service_prefix;
  options.cache_dir = f.cache_dir;
  search::LogStore store(opened->store.get(), options);

  search::SqlOptions sql_options;
  sql_options.threads = f.threads;
  sql_options.memory_limit = f.memory_limit;
  auto session = search::SqlSession::Open(sql_options);
  if (!session.ok()) Fail("sql", "", session.status());
  search::SqlRunInfo info;
  uint64_t rows = 0;
  if (format == "table") {
    // The table's column widths need every row first.
    auto result = (*session)->Run(store, f.query, &info);
    if (!result.ok()) Fail("sql", "", result.status());
    std::string out = search::FormatSqlTable(*result, f.max_width);
    std::fwrite(out.data(), 1, out.size(), stdout);
    rows = result->rows.size();
  } else {
    // CSV and JSON lines stream: nothing of the result is held twice.
    search::SqlTextWriter writer(
        format == "csv" ? search::SqlTextWriter::Format::kCsv
                        : search::SqlTextWriter::Format::kJsonLines,
        [](std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); });
    auto result = (*session)->Run(store, f.query, writer, &info);
    writer.Finish();
    if (!result.ok()) Fail("sql", "", result.status());
    rows = *result;
  }
  std::fflush(stdout);
  if (f.stats) {
    const search::ReadCounters& c = store.counters();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr,
                 "objects: listed %llu, selected %llu, read %llu; list requests %llu; bytes read "
                 "%llu (compressed); cache hits %llu; rows %llu; %.3f s\n",
                 static_cast<unsigned long long>(c.objects_listed.load()),
                 static_cast<unsigned long long>(c.objects_selected.load()),
                 static_cast<unsigned long long>(c.objects_read.load()),
                 static_cast<unsigned long long>(c.list_requests.load()),
                 static_cast<unsigned long long>(c.bytes_read.load()),
                 static_cast<unsigned long long>(c.cache_hits.load()),
                 static_cast<unsigned long long>(rows), secs);
    for (const auto& t : info.tables) {
      std::fprintf(stderr, "table %s: %s, %d day(s), %llu object(s), %llu bytes\n", t.name.c_str(),
                   t.pruned ? "pruned by year/month/day" : "every day", t.days,
                   static_cast<unsigned long long>(t.objects),
                   static_cast<unsigned long long>(t.bytes));
    }
  }
}

// s3://BUCKET[/PREFIX] + /<service prefix>/, for --location's default.
std::string DefaultLocation(const CatalogFlags& f) {
  if (f.store.rfind("s3://", 0) != 0) return "";
  std::string loc = f.store;
  while (!loc.empty() && loc.back() == '/') loc.pop_back();
  std::string prefix = f.service_prefix;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty()) loc += "/" + prefix;
  return loc + "/";
}

void RunCatalog(const CatalogFlags& f) {
  search::CatalogOptions o;
  o.database = f.database;
  o.location = f.location.empty() ? DefaultLocation(f) : f.location;
  if (o.location.empty()) {
    throw CLI::ValidationError("--location",
                               "give s3://BUCKET/PREFIX/ (the service logs' S3 location); it "
                               "defaults from --store only when that is s3://");
  }
  o.mode =
      f.mode == "partitions" ? search::CatalogMode::kPartitions : search::CatalogMode::kProjection;
  size_t comma = f.years.find(',');
  try {
    if (comma == std::string::npos) throw std::invalid_argument("no comma");
    o.first_year = std::stoi(f.years.substr(0, comma));
    o.last_year = std::stoi(f.years.substr(comma + 1));
  } catch (const std::exception&) {
    throw CLI::ValidationError("--years", "want FIRST,LAST like 2015,2099");
  }
  Time now = SystemClock::Get().Now();
  if (!f.since.empty()) {
    auto t = search::ParseTimeArg(f.since, now);
    if (!t.ok()) throw CLI::ValidationError("--since", t.status().message());
    o.since = *t;
  }
  if (o.mode == search::CatalogMode::kPartitions) {
    if (f.since.empty()) o.since = now;
    o.until = now;
    if (!f.until.empty()) {
      auto t = search::ParseTimeArg(f.until, now);
      if (!t.ok()) throw CLI::ValidationError("--until", t.status().message());
      o.until = *t;
    }
  }

  MetricsRegistry& registry = MetricsRegistry::Default();
  auto opened = OpenStore(f.store, SystemClock::Get(), registry, f.endpoint);
  if (!opened.ok()) Fail("catalog", "cannot open the store", opened.status());
  search::LogStoreOptions options;
  options.service_prefix = f.service_prefix;
  search::LogStore store(opened->store.get(), options);
  auto streams = store.ListStreams();
  if (!streams.ok()) Fail("catalog", "listing the streams", streams.status());
  if (f.apply) {
    // Through the Glue API of the account (or the local region, or --endpoint-url).
    aws::AwsSettings settings;
    settings.endpoint_url = f.endpoint;
    auto ctx =
        aws::AwsContext::Create(settings, ProcessEnvironment::Get(), SystemClock::Get(), registry);
    if (!ctx.ok()) Fail("catalog", "AWS", ctx.status());
    auto transport = (*ctx)->Transport(aws::GlueService());
    if (!transport.ok()) Fail("catalog", "AWS", transport.status());
    aws::GlueClient glue(**transport);
    auto applied = search::ApplyCatalog(glue, *streams, o);
    if (!applied.ok()) Fail("catalog", "applying through Glue", applied.status());
    std::printf(
        "database %s%s; tables: %d created, %d updated, %d unchanged; partitions: %d created, "
        "%d already there\n",
        o.database.c_str(), applied->database_created ? " (created)" : "", applied->tables_created,
        applied->tables_updated, applied->tables_unchanged, applied->partitions_created,
        applied->partitions_existing);
  } else {
    auto ddl = search::CatalogDdl(*streams, o);
    if (!ddl.ok()) Fail("catalog", "", ddl.status());
    std::fwrite(ddl->data(), 1, ddl->size(), stdout);
  }
  if (streams->empty()) {
    std::fprintf(stderr, "steady logs catalog: no streams under %s/ in %s\n",
                 f.service_prefix.c_str(), f.store.c_str());
  }
}

}  // namespace

void AddLogsSqlCommands(CLI::App& logs, const GlobalOptions& /*global*/) {
  static SqlFlags sf;
  auto* sql = logs.add_subcommand(
      "sql",
      "Run SQL over the service logs with an embedded DuckDB: one table per family/container "
      "named <family>_<container> (non-alphanumerics as _, lower case), columns time, log, "
      "source, container_id, task_id, task_arn, family, container, cluster (VARCHAR) and year, "
      "month, day (INTEGER). Athena's queries run unchanged; `where year = .. and month = .. "
      "and day = ..` reads only those days' objects. Exit status 2 on error.");
  sql->add_option("QUERY", sf.query, "the SQL statement")->required();
  AddStoreFlags(sql, sf.store, sf.endpoint, sf.service_prefix);
  sql->add_option("--cache-dir", sf.cache_dir, "where S3 objects are cached");
  sql->add_option("--format", sf.format,
                  "table, csv or json (JSON lines); default: table on a terminal, else csv")
      ->check(CLI::IsMember({"auto", "table", "csv", "json"}));
  sql->add_option("--max-width", sf.max_width, "table format: cut cells at this many characters");
  sql->add_option("--threads", sf.threads, "DuckDB threads (default: one per core)");
  sql->add_option("--memory-limit", sf.memory_limit, "DuckDB memory limit, e.g. 4GB");
  sql->add_flag("--stats", sf.stats, "print what was listed and read on stderr at the end");
  sql->callback([] { RunSql(sf); });

  static CatalogFlags cf;
  auto* catalog = logs.add_subcommand(
      "catalog",
      "Print the Glue/Athena DDL for the service logs: one external table per family/container "
      "(OpenX JSON SerDe, gzip JSON lines, partitioned by year/month/day) with partition "
      "projection, or (--mode partitions) with one ADD PARTITION per day");
  AddStoreFlags(catalog, cf.store, cf.endpoint, cf.service_prefix);
  catalog->add_option("--database", cf.database, "Glue database (default steady_logs)");
  catalog->add_option("--location", cf.location,
                      "s3://BUCKET/PREFIX/ holding <family>/<container>/YYYY/MM/DD/ (default: "
                      "--store's s3:// location + the service prefix)");
  catalog->add_option("--mode", cf.mode, "projection (default) or partitions")
      ->check(CLI::IsMember({"projection", "partitions"}));
  catalog->add_option("--years", cf.years,
                      "projection: the year range FIRST,LAST (default 2015,2099)");
  catalog->add_option("--since", cf.since,
                      "partitions: first day (2018-11-28, 7d back, RFC 3339; default today)");
  catalog->add_option("--until", cf.until, "partitions: last day, inclusive (default today)");
  catalog->add_flag("--apply", cf.apply,
                    "create the database, tables and partitions through the Glue API instead of "
                    "printing DDL (idempotent)");
  catalog->callback([] { RunCatalog(cf); });
}

}  // namespace steady::cli
