#include "aws/sigv4.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/time_format.h"

namespace steady::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr int64_t kMaxPresignSeconds = 7 * 24 * 3600;  // S3 and STS refuse longer
constexpr size_t kDigestLen = 32;

using Digest = std::array<unsigned char, kDigestLen>;

// ---- OpenSSL primitives ---------------------------------------------------------------------
//
// OpenSSL 3's one-shot helpers (SHA256(), HMAC(), EVP_Digest with EVP_sha256()) fetch the
// algorithm from the provider on every call, which costs more than hashing a typical canonical
// request. We fetch once per process and keep one reusable context per thread.

const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

EVP_MAC* HmacMac() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

EVP_MD_CTX* ThreadMdCtx() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

EVP_MAC_CTX* ThreadHmacCtx() {
  thread_local std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx([] {
    EVP_MAC_CTX* c = EVP_MAC_CTX_new(HmacMac());
    if (c == nullptr) return c;
    // Setting the digest once here: EVP_MAC_init with params would re-fetch it every call.
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(c, params) != 1) {
      EVP_MAC_CTX_free(c);
      return static_cast<EVP_MAC_CTX*>(nullptr);
    }
    return c;
  }());
  return ctx.get();
}

// A failure here means the OpenSSL default provider is missing or out of memory: nothing a
// caller could act on, and signing with a wrong digest would only produce confusing 403s.
[[noreturn]] void CryptoFailure(const char* what) {
  std::fprintf(stderr, "steady: OpenSSL %s failed\n", what);
  std::abort();
}

Digest Sha256(std::string_view data) {
  EVP_MD_CTX* ctx = ThreadMdCtx();
  Digest out;
  unsigned int len = 0;
  if (ctx == nullptr || Sha256Md() == nullptr ||
      EVP_DigestInit_ex2(ctx, Sha256Md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != kDigestLen) {
    CryptoFailure("SHA-256");
  }
  return out;
}

Digest Hmac(const unsigned char* key, size_t key_len, std::string_view data) {
  EVP_MAC_CTX* ctx = ThreadHmacCtx();
  Digest out;
  size_t len = 0;
  // A NULL key would mean "keep the previous call's key" to EVP_MAC_init; an empty key (legal
  // input to HmacSha256) must point somewhere.
  static const unsigned char kEmpty = 0;
  if (ctx == nullptr || EVP_MAC_init(ctx, key_len ? key : &kEmpty, key_len, nullptr) != 1 ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx, out.data(), &len, out.size()) != 1 || len != kDigestLen) {
    CryptoFailure("HMAC-SHA256");
  }
  return out;
}

Digest Hmac(const Digest& key, std::string_view data) { return Hmac(key.data(), key.size(), data); }

void AppendHex(std::string& out, const unsigned char* data, size_t len) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t at = out.size();
  out.resize(at + 2 * len);
  for (size_t i = 0; i < len; ++i) {
    out[at + 2 * i] = kHex[data[i] >> 4];
    out[at + 2 * i + 1] = kHex[data[i] & 0xf];
  }
}

std::string Hex(const Digest& d) {
  std::string out;
  AppendHex(out, d.data(), d.size());
  return out;
}

// ---- Signing key cache ------------------------------------------------------------------------
//
// The signing key depends only on (secret, day, region, service) and costs four HMACs to
// derive: sigv4_bench measures signing an ECS call ~1.7x slower without this cache. A
// daemon signs for a handful of services with one set of credentials, so a tiny per-thread
// cache hits nearly always and needs no lock.

struct SigningKeyEntry {
  std::string secret;
  std::string day;
  std::string region;
  std::string service;
  // An HMAC context keyed with the signing key: re-initializing it without a key restores the
  // keyed state instead of hashing the key into the pads again.
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> mac;
};

constexpr size_t kSigningKeyCacheSize = 8;

struct SigningKeyCache {
  std::array<SigningKeyEntry, kSigningKeyCacheSize> entries;
  size_t used = 0;
  size_t next = 0;  // round-robin victim once full
};

Digest DeriveSigningKey(std::string_view secret, std::string_view day, std::string_view region,
                        std::string_view service) {
  std::string k_secret;
  k_secret.reserve(4 + secret.size());
  k_secret.append("AWS4").append(secret);
  Digest k = Hmac(reinterpret_cast<const unsigned char*>(k_secret.data()), k_secret.size(), day);
  k = Hmac(k, region);
  k = Hmac(k, service);
  return Hmac(k, "aws4_request");
}

// HMAC-SHA256(signing key, string_to_sign), the signing key coming from the cache.
Digest SignWithCachedKey(std::string_view secret, std::string_view day, std::string_view region,
                         std::string_view service, std::string_view string_to_sign) {
  thread_local SigningKeyCache cache;
  EVP_MAC_CTX* ctx = nullptr;
  for (size_t i = 0; i < cache.used; ++i) {
    const SigningKeyEntry& e = cache.entries[i];
    if (e.day == day && e.region == region && e.service == service && e.secret == secret) {
      ctx = e.mac.get();
      if (EVP_MAC_init(ctx, nullptr, 0, nullptr) != 1) CryptoFailure("HMAC-SHA256 reinit");
      break;
    }
  }
  if (ctx == nullptr) {
    size_t slot =
        cache.used < kSigningKeyCacheSize ? cache.used++ : cache.next++ % kSigningKeyCacheSize;
    SigningKeyEntry& e = cache.entries[slot];
    if (!e.mac) e.mac.reset(EVP_MAC_CTX_dup(ThreadHmacCtx()));  // inherits the digest setting
    ctx = e.mac.get();
    Digest key = DeriveSigningKey(secret, day, region, service);
    if (ctx == nullptr || EVP_MAC_init(ctx, key.data(), key.size(), nullptr) != 1) {
      CryptoFailure("HMAC-SHA256 init");
    }
    OPENSSL_cleanse(key.data(), key.size());
    e.secret.assign(secret);
    e.day.assign(day);
    e.region.assign(region);
    e.service.assign(service);
  }
  Digest out;
  size_t len = 0;
  if (EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(string_to_sign.data()),
                     string_to_sign.size()) != 1 ||
      EVP_MAC_final(ctx, out.data(), &len, out.size()) != 1 || len != kDigestLen) {
    CryptoFailure("HMAC-SHA256");
  }
  return out;
}

// ---- Canonical request pieces ----------------------------------------------------------------

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// The whitespace that botocore's str.split() folds, restricted to what may appear in an HTTP
// header value. botocore also folds \x1c-\x1f and Unicode spaces (U+00A0, U+3000, ...); steady
// does not (see sigv4.h). A table: this runs over every byte of every signed header value.
constexpr std::array<bool, 256> kFoldedSpace = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : {' ', '\t', '\n', '\r', '\v', '\f'}) t[c] = true;
  return t;
}();
bool IsFoldedSpace(unsigned char c) { return kFoldedSpace[c]; }

bool IsSpaceOrControl(char c) { return static_cast<unsigned char>(c) <= 0x20; }

// Returns the first byte at or after `p` that is <= 0x20 (every folded space is), or `end`.
// Eight bytes at a time: a session token, the longest signed value, has no spaces at all.
const char* FindSpaceCandidate(const char* p, const char* end) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  while (end - p >= 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    // Non-zero iff some byte of x is < 0x21 (the classic "has byte less than n" test).
    if (((x - kOnes * 0x21) & ~x & kHigh) != 0) break;
    p += 8;
  }
  while (p < end && !IsSpaceOrControl(*p)) ++p;
  return p;
}

// Trimall: drop leading and trailing whitespace, turn every inner run into one space. Copies
// runs rather than bytes.
void AppendTrimmed(std::string& out, std::string_view value) {
  const char* p = value.data();
  const char* end = p + value.size();
  bool first = true;
  while (p < end) {
    while (p < end && IsFoldedSpace(static_cast<unsigned char>(*p))) ++p;
    if (p == end) break;
    const char* run = p;
    for (;;) {
      p = FindSpaceCandidate(p, end);
      // Stop at a folded space; a control byte is part of the value.
      if (p == end || IsFoldedSpace(static_cast<unsigned char>(*p))) break;
      ++p;
    }
    if (!first) out += ' ';
    out.append(run, p - run);
    first = false;
  }
}

bool IsSignedHeaderName(std::string_view lower_name) {
  // botocore's SIGNED_HEADERS_BLACKLIST: proxies and SDK layers rewrite or add these, so
  // signing them only breaks requests. Authorization is the signature itself.
  return lower_name != "user-agent" && lower_name != "expect" && lower_name != "x-amzn-trace-id" &&
         lower_name != "authorization";
}

// The Host header value an SDK signs when the request carries none: the host lower-cased,
// IPv6 literals in brackets, the port only when it is not the scheme's default.
std::string HostForSigning(const net::Url& url) {
  std::string host;
  bool ipv6 = url.host.find(':') != std::string::npos;
  host.reserve(url.host.size() + 8);
  if (ipv6) host += '[';
  for (char c : url.host) host += ToLowerAscii(c);
  if (ipv6) host += ']';
  int default_port = url.scheme == "https" ? 443 : 80;
  if (url.explicit_port && url.port != default_port) {
    host += ':';
    host += std::to_string(url.port);
  }
  return host;
}

// Canonical header block ("name:value\n" per name, sorted) and the SignedHeaders list.
struct CanonicalHeaders {
  std::string block;
  std::string signed_names;
};

CanonicalHeaders BuildCanonicalHeaders(const net::HttpHeaders& headers, const net::Url& url) {
  struct Item {
    std::string name;
    const std::string* value;
  };
  std::vector<Item> items;
  items.reserve(headers.size() + 1);
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    std::string lower(name.size(), '\0');
    std::transform(name.begin(), name.end(), lower.begin(), ToLowerAscii);
    if (!IsSignedHeaderName(lower)) continue;
    if (lower == "host") has_host = true;
    items.push_back(Item{std::move(lower), &value});
  }
  std::string host;
  if (!has_host) {
    host = HostForSigning(url);
    items.push_back(Item{"host", &host});
  }
  // Stable: repeated headers keep their order, and their values are joined with ',' in it.
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return a.name < b.name; });
  CanonicalHeaders out;
  size_t size = 0;
  for (const Item& it : items) size += it.name.size() + it.value->size() + 2;
  out.block.reserve(size);
  out.signed_names.reserve(size / 2);
  for (size_t i = 0; i < items.size(); ++i) {
    const bool repeat = i > 0 && items[i].name == items[i - 1].name;
    if (repeat) {
      out.block += ',';
    } else {
      if (i > 0) {
        out.block += '\n';
        out.signed_names += ';';
      }
      out.block += items[i].name;
      out.block += ':';
      out.signed_names += items[i].name;
    }
    AppendTrimmed(out.block, *items[i].value);
  }
  out.block += '\n';
  return out;
}

// botocore's remove_dot_segments: drops '.', resolves '..', and (unlike RFC 3986, because AWS
// services want it) collapses empty segments. Keeps a leading and a trailing '/'.
std::string NormalizePath(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(start, slash - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = slash + 1;
  }
  std::string out;
  out.reserve(path.size());
  if (path.front() == '/') out += '/';
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i];
  }
  if (path.back() == '/' && !segments.empty()) out += '/';
  return out;
}

std::string CanonicalPath(std::string_view wire_path, bool normalize) {
  // S3 signs the path exactly as sent. Everyone else signs the normalized path encoded once
  // more, so an escape already on the wire ("%20") is signed as "%2520".
  if (!normalize) return std::string(wire_path);
  return net::UriEncode(NormalizePath(wire_path), /*keep_slash=*/true);
}

// Brings one query name or value into SigV4's form: decoded, then encoded with UriEncode. A
// component that is already in that form (the common case) is copied as it is.
std::string CanonicalQueryComponent(std::string_view raw) {
  bool canonical = true;
  for (char c : raw) {
    if (!IsUnreserved(static_cast<unsigned char>(c))) {
      canonical = false;
      break;
    }
  }
  if (canonical) return std::string(raw);
  return net::UriEncode(net::UriDecode(raw));
}

// Canonical query string of a wire query: pairs split on '&' (empty pieces dropped) and '=',
// each side canonicalized, sorted by name then value. X-Amz-Signature is left out, as the
// spec requires when verifying a presigned URL.
std::string CanonicalQuery(std::string_view query) {
  if (query.empty()) return {};
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view part = query.substr(start, amp - start);
    start = amp + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view name = part.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    std::string cname = CanonicalQueryComponent(name);
    if (cname == "X-Amz-Signature") continue;
    pairs.emplace_back(std::move(cname), CanonicalQueryComponent(value));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  size_t size = 0;
  for (const auto& [k, v] : pairs) size += k.size() + v.size() + 2;
  out.reserve(size);
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) out += '&';
    out += pairs[i].first;
    out += '=';
    out += pairs[i].second;
  }
  return out;
}

// 20150830T123600Z. FormatAmzDate's snprintf costs as much as a SHA-256 block here.
std::string AmzDate(Time t) {
  CivilTime c = ToCivil(t);
  if (c.year < 0 || c.year > 9999) return FormatAmzDate(t);
  std::string out(16, '0');
  auto put = [&out](size_t at, int value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10)
      out[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, c.year, 4);
  put(4, c.month, 2);
  put(6, c.day, 2);
  out[8] = 'T';
  put(9, c.hour, 2);
  put(11, c.minute, 2);
  put(13, c.second, 2);
  out[15] = 'Z';
  return out;
}

Status ValidateInputs(const Credentials& credentials, const SigningParams& params) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return UnauthenticatedError("SigV4: credentials without an access key id or secret key");
  }
  if (params.region.empty()) return InvalidArgumentError("SigV4: empty signing region");
  if (params.service.empty()) return InvalidArgumentError("SigV4: empty signing service");
  return Status::Ok();
}

std::string CredentialScope(std::string_view day, const SigningParams& params) {
  std::string scope;
  scope.reserve(day.size() + params.region.size() + params.service.size() + 16);
  scope.append(day).append("/").append(params.region).append("/").append(params.service);
  scope.append("/aws4_request");
  return scope;
}

// Everything after the canonical request is assembled: string to sign and signature.
void FinishSignature(SigV4Parts& parts, std::string_view amz_date, std::string_view scope,
                     const Credentials& credentials, const SigningParams& params) {
  Digest cr_hash = Sha256(parts.canonical_request);
  parts.string_to_sign.reserve(kAlgorithm.size() + amz_date.size() + scope.size() + 67);
  parts.string_to_sign.append(kAlgorithm).append("\n").append(amz_date).append("\n");
  parts.string_to_sign.append(scope).append("\n");
  AppendHex(parts.string_to_sign, cr_hash.data(), cr_hash.size());
  Digest sig = SignWithCachedKey(credentials.secret_access_key, amz_date.substr(0, 8),
                                 params.region, params.service, parts.string_to_sign);
  parts.signature = Hex(sig);
}

// The canonical request and signature for a parsed URL and an explicit canonical query.
SigV4Parts Sign(const HttpRequest& request, const net::Url& url, std::string_view canonical_query,
                const CanonicalHeaders& headers, std::string_view payload_hash,
                std::string_view amz_date, std::string_view scope, const Credentials& credentials,
                const SigningParams& params) {
  SigV4Parts parts;
  std::string path = CanonicalPath(url.path, params.normalize_path);
  std::string& cr = parts.canonical_request;
  cr.reserve(request.method.size() + path.size() + canonical_query.size() + headers.block.size() +
             headers.signed_names.size() + payload_hash.size() + 8);
  for (char c : request.method) cr += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  cr += '\n';
  cr += path;
  cr += '\n';
  cr += canonical_query;
  cr += '\n';
  cr += headers.block;
  cr += '\n';
  cr += headers.signed_names;
  cr += '\n';
  cr += payload_hash;
  parts.signed_headers = headers.signed_names;
  FinishSignature(parts, amz_date, scope, credentials, params);
  return parts;
}

}  // namespace

std::string Sha256Hex(std::string_view data) { return Hex(Sha256(data)); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  Digest d = Hmac(reinterpret_cast<const unsigned char*>(key.data()), key.size(), data);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

Result<SigV4Parts> ComputeSignature(const HttpRequest& request, const Credentials& credentials,
                                    const SigningParams& params, std::string_view payload_hash) {
  RETURN_IF_ERROR(ValidateInputs(credentials, params));
  ASSIGN_OR_RETURN(net::Url url, net::ParseUrl(request.url));
  const std::string amz_date = AmzDate(params.time);
  const std::string scope = CredentialScope(std::string_view(amz_date).substr(0, 8), params);
  CanonicalHeaders headers = BuildCanonicalHeaders(request.headers, url);
  return Sign(request, url, CanonicalQuery(url.query), headers, payload_hash, amz_date, scope,
              credentials, params);
}

Status SignRequest(HttpRequest& request, const Credentials& credentials,
                   const SigningParams& params) {
  RETURN_IF_ERROR(ValidateInputs(credentials, params));
  ASSIGN_OR_RETURN(net::Url url, net::ParseUrl(request.url));
  const std::string amz_date = AmzDate(params.time);
  const std::string scope = CredentialScope(std::string_view(amz_date).substr(0, 8), params);

  // A retried request still carries the previous attempt's signature and date.
  request.headers.Remove("Authorization");
  if (!request.headers.Has("Host")) request.headers.Add("Host", HostForSigning(url));
  request.headers.Set("X-Amz-Date", amz_date);
  if (!credentials.session_token.empty()) {
    request.headers.Set("X-Amz-Security-Token", credentials.session_token);
  }
  std::string payload_hash;
  if (params.unsigned_payload) {
    // The service cannot tell an unsigned payload from a mismatched one without the header.
    payload_hash = kUnsignedPayload;
    request.headers.Set("X-Amz-Content-SHA256", payload_hash);
  } else if (params.content_sha256_header) {
    payload_hash = Sha256Hex(request.body);
    request.headers.Set("X-Amz-Content-SHA256", payload_hash);
  } else if (const std::string* given = request.headers.Find("X-Amz-Content-SHA256")) {
    // The caller hashed the payload already (or chose a streaming mode): sign what it says.
    payload_hash = *given;
  } else {
    payload_hash = Sha256Hex(request.body);
  }

  CanonicalHeaders headers = BuildCanonicalHeaders(request.headers, url);
  SigV4Parts parts = Sign(request, url, CanonicalQuery(url.query), headers, payload_hash, amz_date,
                          scope, credentials, params);
  std::string auth;
  auth.reserve(kAlgorithm.size() + credentials.access_key_id.size() + scope.size() +
               parts.signed_headers.size() + parts.signature.size() + 48);
  auth.append(kAlgorithm).append(" Credential=").append(credentials.access_key_id).append("/");
  auth.append(scope).append(", SignedHeaders=").append(parts.signed_headers);
  auth.append(", Signature=").append(parts.signature);
  request.headers.Set("Authorization", std::move(auth));
  return Status::Ok();
}

Result<std::string> PresignUrl(const HttpRequest& request, const Credentials& credentials,
                               const SigningParams& params, Duration expires) {
  RETURN_IF_ERROR(ValidateInputs(credentials, params));
  const int64_t expires_s = std::chrono::duration_cast<std::chrono::seconds>(expires).count();
  if (expires_s < 1 || expires_s > kMaxPresignSeconds) {
    return InvalidArgumentError("SigV4: presigned URL lifetime must be 1 s to 7 days, got " +
                                std::to_string(expires_s) + " s");
  }
  ASSIGN_OR_RETURN(net::Url url, net::ParseUrl(request.url));
  const std::string amz_date = AmzDate(params.time);
  const std::string scope = CredentialScope(std::string_view(amz_date).substr(0, 8), params);
  CanonicalHeaders headers = BuildCanonicalHeaders(request.headers, url);

  // The caller's own query parameters, minus any left from an earlier presigning.
  std::string query;
  query.reserve(url.query.size() + 256 + credentials.session_token.size() * 3);
  {
    std::string_view q = url.query;
    size_t start = 0;
    while (start <= q.size()) {
      size_t amp = q.find('&', start);
      if (amp == std::string_view::npos) amp = q.size();
      std::string_view part = q.substr(start, amp - start);
      start = amp + 1;
      if (part.empty()) continue;
      std::string name = net::UriDecode(part.substr(0, part.find('=')));
      if (name == "X-Amz-Algorithm" || name == "X-Amz-Credential" || name == "X-Amz-Date" ||
          name == "X-Amz-Expires" || name == "X-Amz-SignedHeaders" ||
          name == "X-Amz-Security-Token" || name == "X-Amz-Signature") {
        continue;
      }
      query.append(part).append("&");
    }
  }
  query.append("X-Amz-Algorithm=").append(kAlgorithm);
  query.append("&X-Amz-Credential=")
      .append(net::UriEncode(credentials.access_key_id + "/" + scope));
  query.append("&X-Amz-Date=").append(amz_date);
  query.append("&X-Amz-Expires=").append(std::to_string(expires_s));
  query.append("&X-Amz-SignedHeaders=").append(net::UriEncode(headers.signed_names));
  if (!credentials.session_token.empty()) {
    query.append("&X-Amz-Security-Token=").append(net::UriEncode(credentials.session_token));
  }

  // A presigned URL is handed to someone who sends whatever body they like (S3 callers set
  // unsigned_payload); a header the caller put on `request` still pins the hash, as in botocore.
  std::string payload_hash;
  if (const std::string* given = request.headers.Find("X-Amz-Content-SHA256")) {
    payload_hash = *given;
  } else if (params.unsigned_payload) {
    payload_hash = kUnsignedPayload;
  } else {
    payload_hash = Sha256Hex(request.body);
  }

  SigV4Parts parts = Sign(request, url, CanonicalQuery(query), headers, payload_hash, amz_date,
                          scope, credentials, params);

  std::string_view base = request.url;
  base = base.substr(0, base.find('?'));
  std::string out;
  out.reserve(base.size() + query.size() + 96);
  out.append(base).append("?").append(query).append("&X-Amz-Signature=").append(parts.signature);
  return out;
}

}  // namespace steady::aws
