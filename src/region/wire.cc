#include "region/wire.h"

#include <nlohmann/json.hpp>

#include <charconv>

#include "aws/protocol_xml.h"

namespace steady::region {

FormParams ParseForm(const net::ServerRequest& req) {
  FormParams out;
  for (auto& [k, v] : net::ParseQuery(req.query, true)) out[k] = v;
  if (req.method == "POST")
    for (auto& [k, v] : net::ParseQuery(req.body, true)) out[k] = v;
  return out;
}

std::map<int, std::map<std::string, std::string>> FormList(const FormParams& form,
                                                           const std::string& prefix) {
  std::map<int, std::map<std::string, std::string>> out;
  std::string p = prefix + ".";
  for (auto it = form.lower_bound(p); it != form.end() && it->first.rfind(p, 0) == 0; ++it) {
    std::string_view rest(it->first);
    rest.remove_prefix(p.size());
    if (rest.rfind("member.", 0) == 0) rest.remove_prefix(7);
    size_t dot = rest.find('.');
    std::string_view num = rest.substr(0, dot);
    int n = 0;
    auto r = std::from_chars(num.data(), num.data() + num.size(), n);
    if (r.ec != std::errc() || r.ptr != num.data() + num.size()) continue;
    std::string sub = dot == std::string_view::npos ? "" : std::string(rest.substr(dot + 1));
    out[n][sub] = it->second;
  }
  return out;
}

XmlWriter& XmlWriter::Open(std::string_view name, std::string_view xmlns) {
  out_ += '<';
  out_ += name;
  if (!xmlns.empty()) {
    out_ += " xmlns=\"";
    out_ += xmlns;
    out_ += '"';
  }
  out_ += '>';
  return *this;
}

XmlWriter& XmlWriter::Close(std::string_view name) {
  out_ += "</";
  out_ += name;
  out_ += '>';
  return *this;
}

XmlWriter& XmlWriter::Text(std::string_view name, std::string_view value) {
  out_ += '<';
  out_ += name;
  out_ += '>';
  out_ += aws::XmlEscape(value);
  out_ += "</";
  out_ += name;
  out_ += '>';
  return *this;
}

net::HttpResponse JsonResponse(const nlohmann::json& body, const std::string& request_id,
                               std::string_view content_type) {
  net::HttpResponse r;
  r.status = 200;
  r.headers.Set("Content-Type", std::string(content_type));
  r.headers.Set("x-amzn-RequestId", request_id);
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

net::HttpResponse XmlResponse(std::string body, const std::string& request_id, int status) {
  net::HttpResponse r;
  r.status = status;
  r.headers.Set("Content-Type", "text/xml");
  r.headers.Set("x-amzn-RequestId", request_id);
  r.body = std::move(body);
  return r;
}

net::HttpResponse QueryErrorResponse(const WireError& e, const std::string& request_id,
                                     std::string_view xmlns) {
  XmlWriter x;
  x.Open("ErrorResponse", xmlns)
      .Open("Error")
      .Text("Type", e.sender_fault ? "Sender" : "Receiver")
      .Text("Code", e.code)
      .Text("Message", e.message)
      .Close("Error")
      .Text("RequestId", request_id)
      .Close("ErrorResponse");
  return XmlResponse(std::move(x).str(), request_id, e.http_status);
}

net::HttpResponse JsonErrorResponse(const WireError& e, const std::string& request_id,
                                    std::string_view type_namespace, std::string_view content_type,
                                    std::string_view query_code) {
  nlohmann::json body = {{"__type", std::string(type_namespace) + "#" + e.code},
                         {"message", e.message}};
  net::HttpResponse r = JsonResponse(body, request_id, content_type);
  r.status = e.http_status;
  if (!query_code.empty())
    r.headers.Set("x-amzn-query-error",
                  std::string(query_code) + (e.sender_fault ? ";Sender" : ";Receiver"));
  return r;
}

void Waiters::Spawn(std::function<void(std::stop_token)> fn) {
  std::lock_guard lock(mu_);
  entries_.remove_if([](const Entry& e) { return e.done; });
  entries_.emplace_back();
  Entry* entry = &entries_.back();
  std::stop_token token = stop_.get_token();
  entry->thread = std::jthread([this, entry, token, fn = std::move(fn)] {
    fn(token);
    std::lock_guard lock(mu_);
    entry->done = true;
  });
}

void Waiters::Shutdown() {
  stop_.request_stop();
  std::list<Entry> all;
  {
    std::lock_guard lock(mu_);
    all.swap(entries_);
  }
  for (auto& e : all)
    if (e.thread.joinable()) e.thread.join();
}

}  // namespace steady::region
