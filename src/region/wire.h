// Request and response helpers shared by the region's service fronts: query-protocol forms,
// JSON bodies, XML responses and the error shapes of each protocol.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "net/http.h"
#include "region/front.h"

namespace steady::region {

// A query-protocol form (POST body or GET query) as name → value.
using FormParams = std::map<std::string, std::string>;
FormParams ParseForm(const net::ServerRequest& req);

// The entries of a query list "Prefix.N.Sub" (or "Prefix.member.N.Sub"): N → {Sub → value},
// ordered by N. For "Prefix.N" with no sub-key the value sits under "".
std::map<int, std::map<std::string, std::string>> FormList(const FormParams& form,
                                                           const std::string& prefix);

// Builds XML text with escaping. Open/Close must nest; Text elements are leaves.
class XmlWriter {
 public:
  XmlWriter& Open(std::string_view name, std::string_view xmlns = "");
  XmlWriter& Close(std::string_view name);
  XmlWriter& Text(std::string_view name, std::string_view value);
  std::string str() && { return std::move(out_); }
  const std::string& str() const& { return out_; }

 private:
  std::string out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
};

// Standard responses.
net::HttpResponse JsonResponse(const nlohmann::json& body, const std::string& request_id,
                               std::string_view content_type = "application/x-amz-json-1.0");
net::HttpResponse XmlResponse(std::string body, const std::string& request_id, int status = 200);
// awsQuery error: <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>.
net::HttpResponse QueryErrorResponse(const WireError& e, const std::string& request_id,
                                     std::string_view xmlns);
// awsJson error: {"__type": "<namespace>#<code>", "message": ...}; `query_code` (if any) goes in
// x-amzn-query-error for query-compatible services (SQS).
net::HttpResponse JsonErrorResponse(const WireError& e, const std::string& request_id,
                                    std::string_view type_namespace, std::string_view content_type,
                                    std::string_view query_code = "");

// Threads for requests that wait (long polls), stopped together at shutdown.
class Waiters {
 public:
  ~Waiters() { Shutdown(); }
  void Spawn(std::function<void(std::stop_token)> fn);
  // Asks every waiter to stop and joins them.
  void Shutdown();

 private:
  struct Entry {
    std::jthread thread;
    bool done = false;
  };
  std::mutex mu_;
  std::list<Entry> entries_;
  std::stop_source stop_;
};

}  // namespace steady::region
