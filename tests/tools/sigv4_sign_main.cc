// sigv4_sign: signs requests with steady's SigV4 (src/aws/sigv4.cc) for the differential test
// against botocore (tests/e2e/sigv4_botocore_test.py).
//
// Reads one JSON object per line on stdin:
//   {"id": 7, "mode": "sign" | "presign", "method": "GET", "url": "https://h/p?q=1",
//    "headers": [["Name", "value"], ...], "body_b64": "...",
//    "access_key": "...", "secret_key": "...", "token": "" ,
//    "region": "us-east-1", "service": "ecs", "time_ns": 1440938160000000000,
//    "unsigned_payload": false, "content_sha256_header": false, "normalize_path": true,
//    "expires": 3600, "debug": false}
// and writes one JSON object per line on stdout:
//   {"id": 7, "ok": true, "headers": [[...], ...]}            (mode "sign": headers after signing)
//   {"id": 7, "ok": true, "url": "https://h/p?q=1&X-Amz-..."}   (mode "presign")
//   {"id": 7, "ok": false, "error": "..."}
// With "debug", "sign" also reports the canonical request and string to sign.
#include <cstdint>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "aws/sigv4.h"

namespace {

using steady::aws::Credentials;
using steady::aws::SigningParams;
using steady::net::HttpRequest;

// Standard base64 (RFC 4648) with '=' padding; returns false on anything else.
bool DecodeBase64(std::string_view in, std::string& out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out.clear();
  if (in.size() % 4 != 0) return false;
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = in[i + j];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return false;
      v[j] = value(c);
      if (v[j] < 0) return false;
    }
    uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return true;
}

nlohmann::json Handle(const nlohmann::json& in) {
  nlohmann::json out;
  out["id"] = in.value("id", 0);
  HttpRequest request;
  request.method = in.at("method").get<std::string>();
  request.url = in.at("url").get<std::string>();
  for (const auto& h : in.value("headers", nlohmann::json::array())) {
    request.headers.Add(h.at(0).get<std::string>(), h.at(1).get<std::string>());
  }
  if (!DecodeBase64(in.value("body_b64", ""), request.body)) {
    out["ok"] = false;
    out["error"] = "bad body_b64";
    return out;
  }
  Credentials credentials;
  credentials.access_key_id = in.at("access_key").get<std::string>();
  credentials.secret_access_key = in.at("secret_key").get<std::string>();
  credentials.session_token = in.value("token", "");
  SigningParams params;
  params.region = in.at("region").get<std::string>();
  params.service = in.at("service").get<std::string>();
  params.time = steady::FromUnixNanos(in.at("time_ns").get<int64_t>());
  params.unsigned_payload = in.value("unsigned_payload", false);
  params.content_sha256_header = in.value("content_sha256_header", false);
  params.normalize_path = in.value("normalize_path", true);

  const std::string mode = in.value("mode", "sign");
  if (mode == "presign") {
    auto url = steady::aws::PresignUrl(request, credentials, params,
                                       std::chrono::seconds(in.value("expires", 3600)));
    out["ok"] = url.ok();
    if (url.ok()) {
      out["url"] = *url;
    } else {
      out["error"] = url.status().ToString();
    }
    return out;
  }
  steady::Status s = steady::aws::SignRequest(request, credentials, params);
  out["ok"] = s.ok();
  if (!s.ok()) {
    out["error"] = s.ToString();
    return out;
  }
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [name, value] : request.headers) headers.push_back({name, value});
  out["headers"] = std::move(headers);
  if (in.value("debug", false)) {
    const std::string* given = request.headers.Find("X-Amz-Content-SHA256");
    auto parts = steady::aws::ComputeSignature(
        request, credentials, params, given ? *given : steady::aws::Sha256Hex(request.body));
    if (parts.ok()) {
      out["canonical_request"] = parts->canonical_request;
      out["string_to_sign"] = parts->string_to_sign;
    }
  }
  return out;
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  int bad = 0;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    nlohmann::json out;
    try {
      out = Handle(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception& e) {
      out = {{"ok", false}, {"error", std::string("bad input line: ") + e.what()}};
      ++bad;
    }
    // Replace, not throw, on bytes that are not UTF-8: the test reports the mismatch.
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  std::cout.flush();
  return bad == 0 ? 0 : 1;
}
