#include "aws/s3_client.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <pugixml.hpp>

#include "aws/protocol_xml.h"
#include "base/time_format.h"

namespace steady::aws {
namespace {

constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

bool EndsWith(std::string_view s, std::string_view suffix) { return s.ends_with(suffix); }

// Bucket names that can be a DNS label under the endpoint host. Dots would break the TLS
// wildcard certificate (*.s3.amazonaws.com), so with https they force path-style too.
bool DnsCompatibleBucket(std::string_view bucket, bool https) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (c == '.' && !https);
    if (!ok) return false;
  }
  return bucket.front() != '-' && bucket.back() != '-' && bucket.front() != '.' &&
         bucket.back() != '.' && bucket.find("..") == std::string_view::npos;
}

std::string_view LocalName(const char* name) {
  std::string_view n = name;
  size_t colon = n.rfind(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

// Parses `xml` and returns its root element, checking the root's name. Whitespace-only text
// is kept when it is an element's only content: a key of spaces is still a key.
Result<pugi::xml_node> LoadRoot(pugi::xml_document& doc, std::string_view xml,
                                std::string_view want_root, std::string_view what) {
  pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
                      pugi::encoding_utf8);
  if (!parsed) {
    return DataLossError(std::string(what) + ": malformed XML at byte " +
                         std::to_string(parsed.offset) + ": " + parsed.description());
  }
  pugi::xml_node root = doc.document_element();
  if (!root) return DataLossError(std::string(what) + ": empty XML document");
  std::string_view name = LocalName(root.name());
  // moto names some roots "...Response" where S3 says "...Result"; the content is the same.
  bool alias = want_root.ends_with("Result") && name.ends_with("Response") &&
               name.substr(0, name.size() - 8) == want_root.substr(0, want_root.size() - 6);
  if (name != want_root && name != "Error" && !alias) {
    return DataLossError(std::string(what) + ": expected <" + std::string(want_root) + ">, got <" +
                         root.name() + ">");
  }
  return root;
}

// The text of the first child element named `name` ("" if none).
std::string ChildText(const pugi::xml_node& node, const char* name) {
  return node.child(name).text().as_string();
}

Result<uint64_t> ParseU64(std::string_view text, std::string_view what) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return DataLossError(std::string(what) + ": not a number: \"" + std::string(text) + "\"");
  }
  return v;
}

Result<bool> ParseBool(std::string_view text, std::string_view what) {
  if (text == "true") return true;
  if (text == "false" || text.empty()) return false;
  return DataLossError(std::string(what) + ": not a boolean: \"" + std::string(text) + "\"");
}

// An S3 <Error> document that came with a 2xx status, as a Status.
Status ErrorFromDocument(const pugi::xml_node& root, std::string_view operation) {
  AwsError error;
  error.http_status = 200;
  error.code = ChildText(root, "Code");
  error.message = ChildText(root, "Message");
  error.request_id = ChildText(root, "RequestId");
  if (error.code.empty()) error.code = "InternalError";
  return ErrorToStatus(error, operation);
}

std::map<std::string, std::string> MetadataOf(const net::HttpHeaders& headers) {
  std::map<std::string, std::string> out;
  constexpr std::string_view kPrefix = "x-amz-meta-";
  for (const auto& [name, value] : headers) {
    if (name.size() <= kPrefix.size()) continue;
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.starts_with(kPrefix)) out[lower.substr(kPrefix.size())] = value;
  }
  return out;
}

// Last-Modified is informational: a server that formats it oddly should not fail a read.
Time HttpDateOr(const std::string& text) {
  if (text.empty()) return Time{};
  auto t = ParseHttpDate(text);
  return t.ok() ? *t : Time{};
}

// "bytes 0-9/100" → 100. nullopt when the total is unknown ("*") or the header is malformed.
std::optional<uint64_t> ContentRangeTotal(std::string_view header) {
  size_t slash = header.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view total = header.substr(slash + 1);
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(total.data(), total.data() + total.size(), v);
  if (total.empty() || ec != std::errc() || ptr != total.data() + total.size()) return std::nullopt;
  return v;
}

void AppendQuery(std::string& query, std::string_view name, std::string_view value) {
  if (!query.empty()) query += '&';
  query += name;
  query += '=';
  query += net::UriEncode(value);
}

}  // namespace

ServiceInfo S3ServiceInfo() {
  return ServiceInfo{.service_id = "S3",
                     .signing_name = "s3",
                     .endpoint_prefix = "s3",
                     .protocol = Protocol::kRestXml};
}

S3Client::S3Client(AwsTransport& transport, S3ClientOptions options)
    : transport_(transport), options_(std::move(options)) {
  auto url = net::ParseUrl(transport_.options().endpoint);
  if (url.ok()) {
    endpoint_is_https_ = url->scheme == "https";
    endpoint_is_aws_ =
        EndsWith(url->host, ".amazonaws.com") || EndsWith(url->host, ".amazonaws.com.cn");
  }
}

bool S3Client::UsesVirtualHost(std::string_view bucket) const {
  switch (options_.addressing) {
    case S3Addressing::kPath: return false;
    case S3Addressing::kVirtualHost: return true;
    case S3Addressing::kAuto:
      return endpoint_is_aws_ && DnsCompatibleBucket(bucket, endpoint_is_https_);
  }
  return false;
}

std::string S3Client::ObjectUrl(std::string_view bucket, std::string_view key,
                                std::string_view query) const {
  std::string url;
  if (UsesVirtualHost(bucket)) {
    auto endpoint = net::ParseUrl(transport_.options().endpoint);
    // The endpoint was parsed in the constructor's check too; a transport with an endpoint
    // that does not parse fails every call the same way whatever we send.
    if (endpoint.ok()) {
      url = endpoint->scheme + "://" + std::string(bucket) + "." + endpoint->host;
      if (endpoint->explicit_port) url += ":" + std::to_string(endpoint->port);
    }
    url += "/";
  } else {
    url = "/" + net::UriEncode(bucket);
    if (!key.empty()) url += "/";
  }
  url += net::UriEncode(key, /*keep_slash=*/true);
  if (!query.empty()) {
    url += '?';
    url += query;
  }
  return url;
}

Result<net::HttpResponse> S3Client::Send(std::string_view operation, net::HttpRequest request,
                                         bool body_is_payload) {
  SendOptions send;
  send.limiter_group = options_.limiter_group;
  send.unsigned_payload =
      body_is_payload && endpoint_is_https_ && options_.unsigned_payload_over_tls;
  return transport_.Send(operation, std::move(request), send);
}

Status S3Client::CreateBucket(std::string_view bucket) {
  if (bucket.empty()) return InvalidArgumentError("CreateBucket: empty bucket name");
  net::HttpRequest req;
  req.method = "PUT";
  req.url = ObjectUrl(bucket, "");
  const std::string& region = transport_.options().region;
  if (!region.empty() && region != "us-east-1") {
    req.body = "<CreateBucketConfiguration xmlns=\"" + std::string(kS3Namespace) +
               "\"><LocationConstraint>" + XmlEscape(region) +
               "</LocationConstraint></CreateBucketConfiguration>";
    req.headers.Set("Content-Type", "application/xml");
  }
  return Send("CreateBucket", std::move(req)).status();
}

Result<PutObjectOutput> S3Client::PutObject(PutObjectRequest request) {
  if (request.key.empty()) return InvalidArgumentError("PutObject: empty key");
  net::HttpRequest req;
  req.method = "PUT";
  req.url = ObjectUrl(request.bucket, request.key);
  if (!request.content_type.empty()) req.headers.Set("Content-Type", request.content_type);
  if (!request.content_encoding.empty()) {
    req.headers.Set("Content-Encoding", request.content_encoding);
  }
  for (const auto& [name, value] : request.metadata) req.headers.Set("x-amz-meta-" + name, value);
  if (options_.content_md5) req.headers.Set("Content-MD5", ContentMd5(request.body));
  req.body = std::move(request.body);
  ASSIGN_OR_RETURN(net::HttpResponse resp, Send("PutObject", std::move(req), true));
  PutObjectOutput out;
  out.etag = StripEtagQuotes(resp.headers.Get("ETag"));
  out.version_id = resp.headers.Get("x-amz-version-id");
  return out;
}

Result<GetObjectOutput> S3Client::GetObject(const GetObjectRequest& request) {
  if (request.key.empty()) return InvalidArgumentError("GetObject: empty key");
  net::HttpRequest req;
  req.method = "GET";
  req.url = ObjectUrl(request.bucket, request.key);
  if (request.range) {
    if (request.range->last && *request.range->last < request.range->first) {
      return InvalidArgumentError("GetObject: range ends before it starts");
    }
    std::string range = "bytes=" + std::to_string(request.range->first) + "-";
    if (request.range->last) range += std::to_string(*request.range->last);
    req.headers.Set("Range", range);
  }
  ASSIGN_OR_RETURN(net::HttpResponse resp, Send("GetObject", std::move(req)));
  GetObjectOutput out;
  out.etag = StripEtagQuotes(resp.headers.Get("ETag"));
  out.last_modified = HttpDateOr(resp.headers.Get("Last-Modified"));
  out.content_type = resp.headers.Get("Content-Type");
  out.content_encoding = resp.headers.Get("Content-Encoding");
  out.metadata = MetadataOf(resp.headers);
  if (resp.status == 206) {
    out.content_range = resp.headers.Get("Content-Range");
    auto total = ContentRangeTotal(out.content_range);
    if (!total) {
      return DataLossError("GetObject: partial content with bad Content-Range \"" +
                           out.content_range + "\"");
    }
    out.object_size = *total;
  } else {
    out.object_size = resp.body.size();
  }
  out.body = std::move(resp.body);
  return out;
}

Result<HeadObjectOutput> S3Client::HeadObject(std::string_view bucket, std::string_view key) {
  if (key.empty()) return InvalidArgumentError("HeadObject: empty key");
  net::HttpRequest req;
  req.method = "HEAD";
  req.url = ObjectUrl(bucket, key);
  ASSIGN_OR_RETURN(net::HttpResponse resp, Send("HeadObject", std::move(req)));
  HeadObjectOutput out;
  ASSIGN_OR_RETURN(out.content_length,
                   ParseU64(resp.headers.Get("Content-Length"), "HeadObject Content-Length"));
  out.etag = StripEtagQuotes(resp.headers.Get("ETag"));
  out.last_modified = HttpDateOr(resp.headers.Get("Last-Modified"));
  out.content_type = resp.headers.Get("Content-Type");
  out.content_encoding = resp.headers.Get("Content-Encoding");
  out.metadata = MetadataOf(resp.headers);
  return out;
}

Result<ListObjectsV2Output> S3Client::ListObjectsV2(const ListObjectsV2Request& request) {
  if (request.max_keys < 0) return InvalidArgumentError("ListObjectsV2: negative max_keys");
  std::string query = "list-type=2";
  if (!request.continuation_token.empty()) {
    AppendQuery(query, "continuation-token", request.continuation_token);
  }
  if (!request.delimiter.empty()) AppendQuery(query, "delimiter", request.delimiter);
  if (request.encoding_type_url) AppendQuery(query, "encoding-type", "url");
  if (request.max_keys > 0) AppendQuery(query, "max-keys", std::to_string(request.max_keys));
  if (!request.prefix.empty()) AppendQuery(query, "prefix", request.prefix);
  if (!request.start_after.empty()) AppendQuery(query, "start-after", request.start_after);
  net::HttpRequest req;
  req.method = "GET";
  req.url = ObjectUrl(request.bucket, "", query);
  ASSIGN_OR_RETURN(net::HttpResponse resp, Send("ListObjectsV2", std::move(req)));
  return ParseListObjectsV2(resp.body);
}

Status S3Client::DeleteObject(std::string_view bucket, std::string_view key) {
  if (key.empty()) return InvalidArgumentError("DeleteObject: empty key");
  net::HttpRequest req;
  req.method = "DELETE";
  req.url = ObjectUrl(bucket, key);
  return Send("DeleteObject", std::move(req)).status();
}

Result<DeleteObjectsOutput> S3Client::DeleteObjects(std::string_view bucket,
                                                    std::span<const std::string> keys, bool quiet) {
  if (keys.empty()) return InvalidArgumentError("DeleteObjects: no keys");
  if (keys.size() > kMaxDeleteKeys) {
    return InvalidArgumentError("DeleteObjects: " + std::to_string(keys.size()) +
                                " keys, at most 1000 per request");
  }
  for (const std::string& k : keys) {
    if (k.empty()) return InvalidArgumentError("DeleteObjects: empty key");
  }
  net::HttpRequest req;
  req.method = "POST";
  req.url = ObjectUrl(bucket, "", "delete");
  req.body = DeleteObjectsXml(keys, quiet);
  req.headers.Set("Content-Type", "application/xml");
  // S3 refuses DeleteObjects without Content-MD5 (or a flexible checksum).
  req.headers.Set("Content-MD5", ContentMd5(req.body));
  ASSIGN_OR_RETURN(net::HttpResponse resp, Send("DeleteObjects", std::move(req)));
  return ParseDeleteObjectsResult(resp.body);
}

Result<std::string> S3Client::CreateMultipartUpload(std::string_view bucket, std::string_view key,
                                                    std::string_view content_type) {
  if (key.empty()) return InvalidArgumentError("CreateMultipartUpload: empty key");
  net::HttpRequest req;
  req.method = "POST";
  req.url = ObjectUrl(bucket, key, "uploads");
  if (!content_type.empty()) req.headers.Set("Content-Type", std::string(content_type));
  ASSIGN_OR_RETURN(net::HttpResponse resp, Send("CreateMultipartUpload", std::move(req)));
  return ParseInitiateMultipartUpload(resp.body);
}

Result<std::string> S3Client::UploadPart(std::string_view bucket, std::string_view key,
                                         std::string_view upload_id, int part_number,
                                         std::string body) {
  if (part_number < 1 || part_number > kMaxParts) {
    return InvalidArgumentError("UploadPart: part number " + std::to_string(part_number) +
                                " outside 1..10000");
  }
  if (upload_id.empty()) return InvalidArgumentError("UploadPart: empty upload id");
  std::string query = "partNumber=" + std::to_string(part_number);
  AppendQuery(query, "uploadId", upload_id);
  net::HttpRequest req;
  req.method = "PUT";
  req.url = ObjectUrl(bucket, key, query);
  if (options_.content_md5) req.headers.Set("Content-MD5", ContentMd5(body));
  req.body = std::move(body);
  ASSIGN_OR_RETURN(net::HttpResponse resp, Send("UploadPart", std::move(req), true));
  std::string etag = resp.headers.Get("ETag");
  if (etag.empty()) return DataLossError("UploadPart: response without ETag");
  return etag;
}

Result<CompleteMultipartUploadOutput> S3Client::CompleteMultipartUpload(
    std::string_view bucket, std::string_view key, std::string_view upload_id,
    std::span<const CompletedPart> parts) {
  if (parts.empty()) return InvalidArgumentError("CompleteMultipartUpload: no parts");
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].part_number < 1 || (i > 0 && parts[i].part_number <= parts[i - 1].part_number)) {
      return InvalidArgumentError("CompleteMultipartUpload: part numbers must ascend from 1");
    }
  }
  std::string query;
  AppendQuery(query, "uploadId", upload_id);
  net::HttpRequest req;
  req.method = "POST";
  req.url = ObjectUrl(bucket, key, query);
  req.body = CompleteMultipartUploadXml(parts);
  req.headers.Set("Content-Type", "application/xml");
  ASSIGN_OR_RETURN(net::HttpResponse resp, Send("CompleteMultipartUpload", std::move(req)));
  return ParseCompleteMultipartUpload(resp.body);
}

Status S3Client::AbortMultipartUpload(std::string_view bucket, std::string_view key,
                                      std::string_view upload_id) {
  std::string query;
  AppendQuery(query, "uploadId", upload_id);
  net::HttpRequest req;
  req.method = "DELETE";
  req.url = ObjectUrl(bucket, key, query);
  return Send("AbortMultipartUpload", std::move(req)).status();
}

std::string ContentMd5(std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // MD5 is in OpenSSL 3's default provider; it can only fail on allocation, which we treat
  // like every other allocation failure.
  EVP_Digest(body.data(), body.size(), digest, &len, EVP_md5(), nullptr);
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int n = EVP_EncodeBlock(b64, digest, static_cast<int>(len));
  return std::string(reinterpret_cast<const char*>(b64), static_cast<size_t>(n));
}

std::string DeleteObjectsXml(std::span<const std::string> keys, bool quiet) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete xmlns=\"" +
                    std::string(kS3Namespace) + "\">";
  if (quiet) xml += "<Quiet>true</Quiet>";
  for (const std::string& k : keys) {
    xml += "<Object><Key>";
    xml += XmlEscape(k);
    xml += "</Key></Object>";
  }
  xml += "</Delete>";
  return xml;
}

std::string CompleteMultipartUploadXml(std::span<const CompletedPart> parts) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUpload xmlns=\"" +
      std::string(kS3Namespace) + "\">";
  for (const CompletedPart& p : parts) {
    std::string etag = p.etag;
    if (!etag.starts_with('"')) etag = "\"" + etag + "\"";
    xml += "<Part><PartNumber>" + std::to_string(p.part_number) + "</PartNumber><ETag>" +
           XmlEscape(etag) + "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  return xml;
}

Result<ListObjectsV2Output> ParseListObjectsV2(std::string_view xml) {
  pugi::xml_document doc;
  ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(doc, xml, "ListBucketResult", "ListObjectsV2"));
  if (LocalName(root.name()) == "Error") return ErrorFromDocument(root, "ListObjectsV2");
  const bool url_encoded = ChildText(root, "EncodingType") == "url";
  auto decode = [&](std::string s) {
    return url_encoded ? net::UriDecode(s, /*plus_is_space=*/true) : s;
  };
  ListObjectsV2Output out;
  for (pugi::xml_node c : root.children("Contents")) {
    S3Object obj;
    obj.key = decode(ChildText(c, "Key"));
    if (obj.key.empty()) return DataLossError("ListObjectsV2: <Contents> without <Key>");
    ASSIGN_OR_RETURN(obj.size, ParseU64(ChildText(c, "Size"), "ListObjectsV2 <Size>"));
    std::string modified = ChildText(c, "LastModified");
    if (!modified.empty()) {
      auto t = ParseRfc3339(modified);
      if (!t.ok()) {
        return DataLossError("ListObjectsV2: bad <LastModified> \"" + modified + "\"");
      }
      obj.last_modified = *t;
    }
    obj.etag = StripEtagQuotes(ChildText(c, "ETag"));
    obj.storage_class = ChildText(c, "StorageClass");
    out.contents.push_back(std::move(obj));
  }
  for (pugi::xml_node p : root.children("CommonPrefixes")) {
    out.common_prefixes.push_back(decode(ChildText(p, "Prefix")));
  }
  ASSIGN_OR_RETURN(out.is_truncated,
                   ParseBool(ChildText(root, "IsTruncated"), "ListObjectsV2 <IsTruncated>"));
  out.next_continuation_token = ChildText(root, "NextContinuationToken");
  std::string key_count = ChildText(root, "KeyCount");
  if (!key_count.empty()) {
    ASSIGN_OR_RETURN(uint64_t kc, ParseU64(key_count, "ListObjectsV2 <KeyCount>"));
    out.key_count = static_cast<int>(std::min<uint64_t>(kc, 1u << 30));
  } else {
    out.key_count = static_cast<int>(out.contents.size() + out.common_prefixes.size());
  }
  // A truncated page without a token would make a paginating caller start over forever.
  if (out.is_truncated && out.next_continuation_token.empty()) {
    return DataLossError("ListObjectsV2: truncated page without <NextContinuationToken>");
  }
  return out;
}

Result<DeleteObjectsOutput> ParseDeleteObjectsResult(std::string_view xml) {
  DeleteObjectsOutput out;
  // Quiet mode with no failures may come back as an empty body from some servers.
  if (xml.find_first_not_of(" \t\r\n") == std::string_view::npos) return out;
  pugi::xml_document doc;
  ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(doc, xml, "DeleteResult", "DeleteObjects"));
  if (LocalName(root.name()) == "Error") return ErrorFromDocument(root, "DeleteObjects");
  for (pugi::xml_node d : root.children("Deleted")) out.deleted.push_back(ChildText(d, "Key"));
  for (pugi::xml_node e : root.children("Error")) {
    out.errors.push_back({ChildText(e, "Key"), ChildText(e, "Code"), ChildText(e, "Message")});
  }
  return out;
}

Result<std::string> ParseInitiateMultipartUpload(std::string_view xml) {
  pugi::xml_document doc;
  ASSIGN_OR_RETURN(pugi::xml_node root,
                   LoadRoot(doc, xml, "InitiateMultipartUploadResult", "CreateMultipartUpload"));
  if (LocalName(root.name()) == "Error") return ErrorFromDocument(root, "CreateMultipartUpload");
  std::string id = ChildText(root, "UploadId");
  if (id.empty()) return DataLossError("CreateMultipartUpload: no <UploadId>");
  return id;
}

Result<CompleteMultipartUploadOutput> ParseCompleteMultipartUpload(std::string_view xml) {
  pugi::xml_document doc;
  ASSIGN_OR_RETURN(pugi::xml_node root,
                   LoadRoot(doc, xml, "CompleteMultipartUploadResult", "CompleteMultipartUpload"));
  // S3 answers 200 before it has finished combining the parts, so a failure arrives as an
  // <Error> document in a 200 response.
  if (LocalName(root.name()) == "Error") return ErrorFromDocument(root, "CompleteMultipartUpload");
  CompleteMultipartUploadOutput out;
  out.etag = StripEtagQuotes(ChildText(root, "ETag"));
  out.location = ChildText(root, "Location");
  return out;
}

std::string StripEtagQuotes(std::string_view etag) {
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  // Some servers send &quot; entities that survive XML decoding as text.
  if (etag.starts_with("&quot;") && etag.ends_with("&quot;") && etag.size() >= 12) {
    etag = etag.substr(6, etag.size() - 12);
  }
  return std::string(etag);
}

}  // namespace steady::aws
