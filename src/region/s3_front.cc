#include "region/s3_front.h"

#include <charconv>
#include <map>
#include <set>

#include "aws/protocol_xml.h"
#include "aws/sigv4.h"
#include "base/base64.h"
#include "base/log.h"
#include "base/time_format.h"
#include "region/s3_wire.h"
#include "region/service_error.h"

namespace steady::region {

namespace {

using aws::XmlEscape;

constexpr std::string_view kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
constexpr std::string_view kXmlDecl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

// Query parameters that are arguments of an operation rather than a subresource naming one.
bool PlainParam(const std::string& name) {
  static const std::set<std::string> kPlain = {"prefix",
                                               "delimiter",
                                               "marker",
                                               "max-keys",
                                               "encoding-type",
                                               "list-type",
                                               "continuation-token",
                                               "start-after",
                                               "fetch-owner",
                                               "x-id",
                                               "max-buckets",
                                               "bucket-region",
                                               "uploadId",
                                               "partNumber",
                                               "max-parts",
                                               "part-number-marker",
                                               "key-marker",
                                               "upload-id-marker",
                                               "max-uploads",
                                               "versionId",
                                               "response-content-type",
                                               "response-content-language",
                                               "response-expires",
                                               "response-cache-control",
                                               "response-content-disposition",
                                               "response-content-encoding"};
  return kPlain.count(name) > 0 || name.starts_with("X-Amz-") || name.starts_with("x-amz-");
}

Status Err(std::string_view code, std::string message, int http = 400) {
  return ServiceError("S3", code, message, http);
}

Status NotImplemented() {
  return Err("NotImplemented",
             "A header or query you provided implies functionality that is not implemented", 501);
}

Status MethodNotAllowed() {
  return Err("MethodNotAllowed", "The specified method is not allowed against this resource.", 405);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Quoted(const std::string& etag) { return "\"" + etag + "\""; }
std::string Iso(Time t) { return FormatIso8601(t, true); }

// The form S3 uses for encoding-type=url: like form encoding, '/' kept.
std::string UrlEncodeIf(bool on, const std::string& s) { return on ? S3EventKeyEncode(s) : s; }

// Content-Encoding without the aws-chunked framing token (which is not part of the object).
std::string StoredContentEncoding(const std::string& header) {
  std::string out;
  size_t start = 0;
  while (start <= header.size()) {
    size_t comma = header.find(',', start);
    if (comma == std::string::npos) comma = header.size();
    std::string part = header.substr(start, comma - start);
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (!part.empty() && Lower(part) != "aws-chunked") out += (out.empty() ? "" : ",") + part;
    start = comma + 1;
  }
  return out;
}

bool ValidStorageClass(const std::string& s) {
  static const std::set<std::string> kClasses = {
      "STANDARD",       "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
      "GLACIER",        "DEEP_ARCHIVE",       "OUTPOSTS",    "GLACIER_IR", "SNOW",
      "EXPRESS_ONEZONE"};
  return s.empty() || kClasses.count(s) > 0;
}

bool ParseInt(std::string_view s, int64_t& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// One S3 request as the handlers see it.
struct Call {
  const RoutedRequest& routed;
  const net::ServerRequest& http;
  std::string bucket, key;
  bool has_key = false;
  std::map<std::string, std::string> query;
  std::set<std::string> subresources;
  std::string decoded_body;
  std::string_view body;
  std::vector<std::pair<std::string, std::string>> checksums;  // to echo
  S3Caller caller;

  bool Has(const std::string& q) const { return query.count(q) > 0; }
  bool Sub(const std::string& s) const { return subresources.count(s) > 0; }
  std::string Q(const std::string& q, const std::string& fallback = "") const {
    auto it = query.find(q);
    return it == query.end() ? fallback : it->second;
  }
  std::string H(std::string_view name) const { return http.headers.Get(name); }
};

std::string HostIdFor(const std::string& request_id) { return Base64Encode(request_id); }

net::HttpResponse Base(const Call& c, int status) {
  net::HttpResponse r;
  r.status = status;
  r.headers.Set("x-amz-request-id", c.routed.request_id);
  r.headers.Set("x-amz-id-2", c.caller.host_id);
  return r;
}

net::HttpResponse Xml(const Call& c, std::string body, int status = 200) {
  net::HttpResponse r = Base(c, status);
  r.headers.Set("Content-Type", "application/xml");
  r.body = std::string(kXmlDecl) + std::move(body);
  return r;
}

std::string OwnerXml(const RegionContext& ctx) {
  return "<Owner><ID>" + aws::Sha256Hex(ctx.account_id) +
         "</ID><DisplayName>steady</DisplayName></Owner>";
}

S3ObjectAttrs AttrsFromHeaders(const Call& c) {
  S3ObjectAttrs a;
  a.content_type = c.H("Content-Type");
  a.content_encoding = StoredContentEncoding(c.H("Content-Encoding"));
  a.content_disposition = c.H("Content-Disposition");
  a.content_language = c.H("Content-Language");
  a.cache_control = c.H("Cache-Control");
  a.expires = c.H("Expires");
  a.storage_class = c.H("x-amz-storage-class");
  for (const auto& [name, value] : c.http.headers) {
    std::string lower = Lower(name);
    if (lower.starts_with("x-amz-meta-") && lower.size() > 11) a.metadata[lower.substr(11)] = value;
  }
  return a;
}

void ObjectHeaders(net::HttpResponse& r, const S3ObjectMeta& m) {
  r.headers.Set("ETag", Quoted(m.etag));
  r.headers.Set("Last-Modified", FormatHttpDate(m.last_modified));
  r.headers.Set("Accept-Ranges", "bytes");
  r.headers.Set("Content-Type", m.attrs.content_type);
  auto opt = [&](const char* name, const std::string& v) {
    if (!v.empty()) r.headers.Set(name, v);
  };
  opt("Content-Encoding", m.attrs.content_encoding);
  opt("Content-Disposition", m.attrs.content_disposition);
  opt("Content-Language", m.attrs.content_language);
  opt("Cache-Control", m.attrs.cache_control);
  opt("Expires", m.attrs.expires);
  if (m.attrs.storage_class != "STANDARD") opt("x-amz-storage-class", m.attrs.storage_class);
  for (const auto& [k, v] : m.attrs.metadata) r.headers.Set("x-amz-meta-" + k, v);
}

S3Conditions ConditionsFrom(const Call& c, std::string_view prefix) {
  S3Conditions out;
  std::string p(prefix);
  out.if_match = c.H(p + "If-Match");
  out.if_none_match = c.H(p + "If-None-Match");
  // A date S3 cannot read is ignored, as HTTP says.
  if (auto t = ParseHttpDate(c.H(p + "If-Modified-Since")); t.ok()) out.if_modified_since = *t;
  if (auto t = ParseHttpDate(c.H(p + "If-Unmodified-Since")); t.ok()) out.if_unmodified_since = *t;
  return out;
}

// Reads the body as the client meant it: aws-chunked framing removed, and every digest the
// client sent (Content-MD5, x-amz-content-sha256, x-amz-checksum-* headers and trailers)
// checked against it.
Status PrepareBody(Call& c) {
  std::string sha = c.H("x-amz-content-sha256");
  bool chunked = sha.starts_with("STREAMING-") ||
                 Lower(c.H("Content-Encoding")).find("aws-chunked") != std::string::npos;
  c.body = c.http.body;
  if (chunked) {
    ASSIGN_OR_RETURN(AwsChunkedBody decoded, DecodeAwsChunked(c.http.body));
    c.decoded_body = std::move(decoded.data);
    c.body = c.decoded_body;
    std::string declared = c.H("x-amz-decoded-content-length");
    int64_t n;
    if (!declared.empty() && (!ParseInt(declared, n) || static_cast<uint64_t>(n) != c.body.size()))
      return Err("IncompleteBody",
                 "You did not provide the number of bytes specified by the "
                 "x-amz-decoded-content-length HTTP header");
    for (const auto& [name, value] : decoded.trailers) {
      if (!name.starts_with("x-amz-checksum-")) continue;
      RETURN_IF_ERROR(VerifyChecksum(name, value, c.body));
      c.checksums.emplace_back(name, value);
    }
  } else if (sha.size() == 64 && sha.find_first_not_of("0123456789abcdef") == std::string::npos) {
    if (aws::Sha256Hex(c.body) != sha)
      return Err("XAmzContentSHA256Mismatch",
                 "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  for (const auto& [name, value] : c.http.headers) {
    std::string lower = Lower(name);
    if (!lower.starts_with("x-amz-checksum-") || lower == "x-amz-checksum-algorithm" ||
        lower == "x-amz-checksum-type" || lower == "x-amz-checksum-mode")
      continue;
    RETURN_IF_ERROR(VerifyChecksum(lower, value, c.body));
    c.checksums.emplace_back(lower, value);
  }
  if (const std::string* md5 = c.http.headers.Find("Content-MD5"))
    RETURN_IF_ERROR(VerifyContentMd5(*md5, c.body));
  return Status::Ok();
}

class Handlers {
 public:
  Handlers(S3Model& model, RegionContext& ctx, Call& c) : model_(model), ctx_(ctx), c_(c) {}

  Result<net::HttpResponse> Serve() {
    const std::string& m = c_.http.method;
    if (m == "PUT" || m == "POST") RETURN_IF_ERROR(PrepareBody(c_));
    if (c_.bucket.empty()) {
      if (m == "GET" && c_.subresources.empty()) return ListBuckets();
      return MethodNotAllowed();
    }
    if (!c_.has_key) return ServeBucket(m);
    return ServeObject(m);
  }

 private:
  Result<net::HttpResponse> ServeBucket(const std::string& m) {
    if (c_.Sub("notification")) {
      if (m == "PUT") return PutNotification();
      if (m == "GET") return GetNotification();
      return MethodNotAllowed();
    }
    if (c_.Sub("location") && m == "GET") return GetLocation();
    if (c_.Sub("uploads") && m == "GET") return ListUploads();
    if (c_.Sub("delete") && m == "POST") return DeleteObjects();
    if (c_.Sub("versioning") && m == "GET") {
      RETURN_IF_ERROR(model_.HeadBucket(c_.bucket));
      // Never enabled: the empty configuration is S3's answer for such a bucket.
      return Xml(c_, "<VersioningConfiguration xmlns=\"" + std::string(kXmlns) + "\"/>");
    }
    if (!c_.subresources.empty()) return NotImplemented();
    if (m == "PUT") return CreateBucket();
    if (m == "DELETE") {
      RETURN_IF_ERROR(model_.DeleteBucket(c_.bucket));
      return Base(c_, 204);
    }
    if (m == "HEAD") {
      RETURN_IF_ERROR(model_.HeadBucket(c_.bucket));
      net::HttpResponse r = Base(c_, 200);
      r.headers.Set("x-amz-bucket-region", ctx_.region);
      return r;
    }
    if (m == "GET") return ListObjects(c_.Q("list-type") == "2");
    return MethodNotAllowed();
  }

  Result<net::HttpResponse> ServeObject(const std::string& m) {
    if (c_.http.headers.Has("x-amz-tagging")) return NotImplemented();  // tags are not kept
    if (c_.Sub("uploads")) {
      if (m == "POST") return CreateUpload();
      return MethodNotAllowed();
    }
    if (c_.Sub("tagging") && c_.subresources.size() == 1 && m == "GET") {
      // No object carries tags here (writes that set them are refused), so the set is empty;
      // awscli asks for it before copying objects.
      RETURN_IF_ERROR(model_.HeadObject(c_.bucket, c_.key).status());
      return Xml(c_, "<Tagging xmlns=\"" + std::string(kXmlns) + "\"><TagSet></TagSet></Tagging>");
    }
    if (!c_.subresources.empty()) return NotImplemented();
    if (c_.Has("uploadId")) {
      if (m == "PUT") return UploadPart();
      if (m == "POST") return CompleteUpload();
      if (m == "GET") return ListParts();
      if (m == "DELETE") {
        RETURN_IF_ERROR(model_.AbortMultipartUpload(c_.bucket, c_.key, c_.Q("uploadId")));
        return Base(c_, 204);
      }
      return MethodNotAllowed();
    }
    if (c_.Has("partNumber")) return NotImplemented();  // GetObject by part number
    std::string version = c_.Q("versionId", "null");
    if (version != "null") return Err("InvalidArgument", "Invalid version id specified");
    if (m == "PUT") return c_.http.headers.Has("x-amz-copy-source") ? CopyObject() : PutObject();
    if (m == "GET" || m == "HEAD") return GetObject(m == "HEAD");
    if (m == "DELETE") {
      RETURN_IF_ERROR(model_.DeleteObject(c_.bucket, c_.key, c_.caller));
      return Base(c_, 204);
    }
    return MethodNotAllowed();
  }

  // --- buckets ---

  Result<net::HttpResponse> ListBuckets() {
    std::string prefix = c_.Q("prefix");
    int64_t max = 10000;
    if (c_.Has("max-buckets") && (!ParseInt(c_.Q("max-buckets"), max) || max < 1 || max > 10000))
      return Err("InvalidArgument", "Argument max-buckets must be an integer between 1 and 10000");
    std::string after;
    if (c_.Has("continuation-token")) {
      auto t = Base64Decode(c_.Q("continuation-token"));
      if (!t.ok()) return Err("InvalidArgument", "The continuation token provided is incorrect");
      after = *t;
    }
    std::string x = "<ListAllMyBucketsResult xmlns=\"" + std::string(kXmlns) + "\">" +
                    OwnerXml(ctx_) + "<Buckets>";
    std::string last;
    bool more = false;
    int64_t n = 0;
    for (const S3BucketInfo& b : model_.ListBuckets()) {
      if (!b.name.starts_with(prefix) || b.name <= after) continue;
      if (n == max) {
        more = true;
        break;
      }
      ++n;
      last = b.name;
      x += "<Bucket><Name>" + XmlEscape(b.name) + "</Name><CreationDate>" + Iso(b.created) +
           "</CreationDate><BucketRegion>" + ctx_.region + "</BucketRegion></Bucket>";
    }
    x += "</Buckets>";
    if (more) x += "<ContinuationToken>" + Base64Encode(last) + "</ContinuationToken>";
    if (c_.Has("prefix")) x += "<Prefix>" + XmlEscape(prefix) + "</Prefix>";
    return Xml(c_, x + "</ListAllMyBucketsResult>");
  }

  Result<net::HttpResponse> CreateBucket() {
    ASSIGN_OR_RETURN(std::string location, ParseCreateBucketConfiguration(c_.body));
    if (!location.empty() && ctx_.region == "us-east-1" && location == "us-east-1")
      return Err("InvalidLocationConstraint", "The specified location-constraint is not valid");
    if (!location.empty() && location != ctx_.region)
      return Err("IllegalLocationConstraintException",
                 "The " + location +
                     " location constraint is incompatible for the region specific endpoint "
                     "this request was sent to.");
    RETURN_IF_ERROR(model_.CreateBucket(c_.bucket));
    net::HttpResponse r = Base(c_, 200);
    r.headers.Set("Location", "/" + c_.bucket);
    return r;
  }

  Result<net::HttpResponse> GetLocation() {
    RETURN_IF_ERROR(model_.HeadBucket(c_.bucket));
    // us-east-1 is the empty location constraint.
    std::string loc = ctx_.region == "us-east-1" ? "" : ctx_.region;
    return Xml(c_, "<LocationConstraint xmlns=\"" + std::string(kXmlns) + "\">" + loc +
                       "</LocationConstraint>");
  }

  Result<net::HttpResponse> PutNotification() {
    ASSIGN_OR_RETURN(auto queues, ParseNotificationConfiguration(c_.body));
    RETURN_IF_ERROR(model_.PutBucketNotificationConfiguration(c_.bucket, queues, c_.caller));
    return Base(c_, 200);
  }

  Result<net::HttpResponse> GetNotification() {
    ASSIGN_OR_RETURN(auto queues, model_.GetBucketNotificationConfiguration(c_.bucket));
    net::HttpResponse r = Base(c_, 200);
    r.headers.Set("Content-Type", "application/xml");
    r.body = NotificationConfigurationXml(queues);
    return r;
  }

  // --- listings ---

  Result<net::HttpResponse> ListObjects(bool v2) {
    S3ListInput in;
    in.bucket = c_.bucket;
    in.prefix = c_.Q("prefix");
    in.delimiter = c_.Q("delimiter");
    int64_t max = 1000;
    if (c_.Has("max-keys") && (!ParseInt(c_.Q("max-keys"), max) || max < 0 || max > INT32_MAX))
      return Err("InvalidArgument", "Provided max-keys not an integer or within integer range");
    in.max_keys = static_cast<int>(std::min<int64_t>(max, 1000));
    std::string encoding = c_.Q("encoding-type");
    if (!encoding.empty() && encoding != "url")
      return Err("InvalidArgument", "Invalid Encoding Method specified in Request");
    bool url = encoding == "url";
    if (v2) {
      in.start_after = c_.Q("start-after");
      in.continuation_token = c_.Q("continuation-token");
      if (c_.Has("continuation-token") && in.continuation_token.empty())
        return Err("InvalidArgument", "The continuation token provided is incorrect");
    } else {
      in.start_after = c_.Q("marker");
    }
    ASSIGN_OR_RETURN(S3ListOutput out, model_.ListObjects(in));
    bool owner = !v2 || c_.Q("fetch-owner") == "true";
    std::string x = "<ListBucketResult xmlns=\"" + std::string(kXmlns) + "\"><Name>" +
                    XmlEscape(c_.bucket) + "</Name><Prefix>" +
                    XmlEscape(UrlEncodeIf(url, in.prefix)) + "</Prefix>";
    if (v2) {
      if (c_.Has("continuation-token"))
        x += "<ContinuationToken>" + XmlEscape(in.continuation_token) + "</ContinuationToken>";
      if (c_.Has("start-after"))
        x += "<StartAfter>" + XmlEscape(UrlEncodeIf(url, in.start_after)) + "</StartAfter>";
      x += "<KeyCount>" + std::to_string(out.contents.size() + out.common_prefixes.size()) +
           "</KeyCount>";
    } else {
      x += "<Marker>" + XmlEscape(UrlEncodeIf(url, in.start_after)) + "</Marker>";
    }
    x += "<MaxKeys>" + std::to_string(max) + "</MaxKeys>";
    if (!in.delimiter.empty())
      x += "<Delimiter>" + XmlEscape(UrlEncodeIf(url, in.delimiter)) + "</Delimiter>";
    if (url) x += "<EncodingType>url</EncodingType>";
    x += std::string("<IsTruncated>") + (out.is_truncated ? "true" : "false") + "</IsTruncated>";
    if (out.is_truncated) {
      if (v2)
        x += "<NextContinuationToken>" + XmlEscape(out.next_continuation_token) +
             "</NextContinuationToken>";
      else
        x += "<NextMarker>" + XmlEscape(UrlEncodeIf(url, out.next_marker)) + "</NextMarker>";
    }
    for (const S3ObjectMeta& o : out.contents) {
      x += "<Contents><Key>" + XmlEscape(UrlEncodeIf(url, o.key)) + "</Key><LastModified>" +
           Iso(o.last_modified) + "</LastModified><ETag>" + XmlEscape(Quoted(o.etag)) +
           "</ETag><Size>" + std::to_string(o.size) + "</Size>";
      if (owner) x += OwnerXml(ctx_);
      x += "<StorageClass>" + o.attrs.storage_class + "</StorageClass></Contents>";
    }
    for (const std::string& p : out.common_prefixes)
      x += "<CommonPrefixes><Prefix>" + XmlEscape(UrlEncodeIf(url, p)) +
           "</Prefix></CommonPrefixes>";
    return Xml(c_, x + "</ListBucketResult>");
  }

  // --- objects ---

  Result<net::HttpResponse> PutObject() {
    S3PutInput in;
    in.bucket = c_.bucket;
    in.key = c_.key;
    in.body = c_.body;
    in.attrs = AttrsFromHeaders(c_);
    if (!ValidStorageClass(in.attrs.storage_class))
      return Err("InvalidStorageClass", "The storage class you specified is not valid");
    in.if_none_match = c_.H("If-None-Match");
    in.if_match = c_.H("If-Match");
    ASSIGN_OR_RETURN(S3ObjectMeta meta, model_.PutObject(in, c_.caller));
    net::HttpResponse r = Base(c_, 200);
    r.headers.Set("ETag", Quoted(meta.etag));
    for (const auto& [k, v] : c_.checksums) r.headers.Set(k, v);
    return r;
  }

  Result<net::HttpResponse> GetObject(bool head) {
    std::optional<S3Range> range = ParseS3Range(c_.H("Range"));
    S3Conditions cond = ConditionsFrom(c_, "");
    ASSIGN_OR_RETURN(S3GetOutput out, head ? model_.HeadObject(c_.bucket, c_.key, range, cond)
                                           : model_.GetObject(c_.bucket, c_.key, range, cond));
    net::HttpResponse r = Base(c_, out.partial ? 206 : 200);
    ObjectHeaders(r, out.meta);
    if (out.partial)
      r.headers.Set("Content-Range", "bytes " + std::to_string(out.first) + "-" +
                                         std::to_string(out.last) + "/" +
                                         std::to_string(out.meta.size));
    for (const auto& [param, header] : std::vector<std::pair<std::string, std::string>>{
             {"response-content-type", "Content-Type"},
             {"response-content-language", "Content-Language"},
             {"response-expires", "Expires"},
             {"response-cache-control", "Cache-Control"},
             {"response-content-disposition", "Content-Disposition"},
             {"response-content-encoding", "Content-Encoding"}}) {
      if (c_.Has(param)) r.headers.Set(header, c_.Q(param));
    }
    if (head) {
      uint64_t n = out.partial ? out.last - out.first + 1 : out.meta.size;
      r.headers.Set("Content-Length", std::to_string(n));
    } else {
      r.body = std::move(out.body);
    }
    return r;
  }

  // x-amz-copy-source: "[/]bucket/key[?versionId=...]", URL-encoded.
  Status CopySource(std::string& bucket, std::string& key) {
    std::string src = c_.H("x-amz-copy-source");
    size_t q = src.find('?');
    if (q != std::string::npos) {
      for (const auto& [k, v] : net::ParseQuery(src.substr(q + 1)))
        if (k == "versionId" && v != "null")
          return Err("InvalidArgument", "Invalid version id specified");
      src.resize(q);
    }
    src = net::UriDecode(src);
    if (src.starts_with('/')) src.erase(0, 1);
    size_t slash = src.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == src.size())
      return Err("InvalidArgument",
                 "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
    bucket = src.substr(0, slash);
    key = src.substr(slash + 1);
    return Status::Ok();
  }

  Result<net::HttpResponse> CopyObject() {
    S3CopyInput in;
    RETURN_IF_ERROR(CopySource(in.src_bucket, in.src_key));
    in.bucket = c_.bucket;
    in.key = c_.key;
    std::string directive = c_.H("x-amz-metadata-directive");
    if (!directive.empty() && directive != "COPY" && directive != "REPLACE")
      return Err("InvalidArgument", "Unknown metadata directive.");
    in.replace_metadata = directive == "REPLACE";
    in.attrs = AttrsFromHeaders(c_);
    in.src_conditions = ConditionsFrom(c_, "x-amz-copy-source-");
    ASSIGN_OR_RETURN(S3ObjectMeta meta, model_.CopyObject(in, c_.caller));
    return Xml(c_, "<CopyObjectResult xmlns=\"" + std::string(kXmlns) + "\"><LastModified>" +
                       Iso(meta.last_modified) + "</LastModified><ETag>" +
                       XmlEscape(Quoted(meta.etag)) + "</ETag></CopyObjectResult>");
  }

  Result<net::HttpResponse> DeleteObjects() {
    ASSIGN_OR_RETURN(DeleteRequest req, ParseDeleteRequest(c_.body));
    ASSIGN_OR_RETURN(auto results, model_.DeleteObjects(c_.bucket, req.keys, c_.caller));
    std::string x = "<DeleteResult xmlns=\"" + std::string(kXmlns) + "\">";
    for (const S3DeleteResult& d : results) {
      if (d.code.empty()) {
        if (!req.quiet) x += "<Deleted><Key>" + XmlEscape(d.key) + "</Key></Deleted>";
      } else {
        x += "<Error><Key>" + XmlEscape(d.key) + "</Key><Code>" + d.code + "</Code><Message>" +
             XmlEscape(d.message) + "</Message></Error>";
      }
    }
    return Xml(c_, x + "</DeleteResult>");
  }

  // --- multipart ---

  Result<net::HttpResponse> CreateUpload() {
    S3ObjectAttrs attrs = AttrsFromHeaders(c_);
    if (!ValidStorageClass(attrs.storage_class))
      return Err("InvalidStorageClass", "The storage class you specified is not valid");
    ASSIGN_OR_RETURN(std::string id, model_.CreateMultipartUpload(c_.bucket, c_.key, attrs));
    net::HttpResponse r =
        Xml(c_, "<InitiateMultipartUploadResult xmlns=\"" + std::string(kXmlns) + "\"><Bucket>" +
                    XmlEscape(c_.bucket) + "</Bucket><Key>" + XmlEscape(c_.key) +
                    "</Key><UploadId>" + id + "</UploadId></InitiateMultipartUploadResult>");
    if (std::string algo = c_.H("x-amz-checksum-algorithm"); !algo.empty())
      r.headers.Set("x-amz-checksum-algorithm", algo);
    return r;
  }

  Result<net::HttpResponse> UploadPart() {
    int64_t n = 0;
    if (!ParseInt(c_.Q("partNumber"), n) || n < 1 || n > 10000)
      return Err("InvalidArgument",
                 "Part number must be an integer between 1 and 10000, inclusive");
    const std::string id = c_.Q("uploadId");
    if (c_.http.headers.Has("x-amz-copy-source")) {
      std::string src_bucket, src_key;
      RETURN_IF_ERROR(CopySource(src_bucket, src_key));
      std::optional<S3Range> range;
      if (std::string h = c_.H("x-amz-copy-source-range"); !h.empty()) {
        range = ParseS3Range(h);
        if (!range)
          return Err(
              "InvalidArgument",
              "The x-amz-copy-source-range value must be of the form bytes=first-last where first "
              "and last are the zero-based offsets of the first and last bytes to copy");
      }
      ASSIGN_OR_RETURN(S3PartInfo part,
                       model_.UploadPartCopy(c_.bucket, c_.key, id, static_cast<int>(n), src_bucket,
                                             src_key, range));
      return Xml(c_, "<CopyPartResult xmlns=\"" + std::string(kXmlns) + "\"><LastModified>" +
                         Iso(part.last_modified) + "</LastModified><ETag>" +
                         XmlEscape(Quoted(part.etag)) + "</ETag></CopyPartResult>");
    }
    ASSIGN_OR_RETURN(S3PartInfo part,
                     model_.UploadPart(c_.bucket, c_.key, id, static_cast<int>(n), c_.body));
    net::HttpResponse r = Base(c_, 200);
    r.headers.Set("ETag", Quoted(part.etag));
    for (const auto& [k, v] : c_.checksums) r.headers.Set(k, v);
    return r;
  }

  Result<net::HttpResponse> CompleteUpload() {
    ASSIGN_OR_RETURN(auto parts, ParseCompleteMultipartUpload(c_.body));
    ASSIGN_OR_RETURN(S3ObjectMeta meta, model_.CompleteMultipartUpload(
                                            c_.bucket, c_.key, c_.Q("uploadId"), parts, c_.caller));
    std::string location = "http://" + c_.H("Host") + "/" + net::UriEncode(c_.bucket) + "/" +
                           net::UriEncode(c_.key, /*keep_slash=*/true);
    return Xml(c_, "<CompleteMultipartUploadResult xmlns=\"" + std::string(kXmlns) +
                       "\"><Location>" + XmlEscape(location) + "</Location><Bucket>" +
                       XmlEscape(c_.bucket) + "</Bucket><Key>" + XmlEscape(c_.key) +
                       "</Key><ETag>" + XmlEscape(Quoted(meta.etag)) +
                       "</ETag></CompleteMultipartUploadResult>");
  }

  Result<net::HttpResponse> ListParts() {
    int64_t max = 1000, marker = 0;
    if (c_.Has("max-parts") && (!ParseInt(c_.Q("max-parts"), max) || max < 0))
      return Err("InvalidArgument", "Provided max-parts not an integer or within integer range");
    if (c_.Has("part-number-marker") && !ParseInt(c_.Q("part-number-marker"), marker))
      return Err("InvalidArgument",
                 "Provided part-number-marker not an integer or within integer range");
    max = std::min<int64_t>(max, 1000);
    const std::string id = c_.Q("uploadId");
    ASSIGN_OR_RETURN(auto parts, model_.ListParts(c_.bucket, c_.key, id));
    std::string body;
    int64_t n = 0, last = 0;
    bool truncated = false;
    for (const S3PartInfo& p : parts) {
      if (p.part_number <= marker) continue;
      if (n == max) {
        truncated = true;
        break;
      }
      ++n;
      last = p.part_number;
      body += "<Part><PartNumber>" + std::to_string(p.part_number) + "</PartNumber><LastModified>" +
              Iso(p.last_modified) + "</LastModified><ETag>" + XmlEscape(Quoted(p.etag)) +
              "</ETag><Size>" + std::to_string(p.size) + "</Size></Part>";
    }
    std::string x =
        "<ListPartsResult xmlns=\"" + std::string(kXmlns) + "\"><Bucket>" + XmlEscape(c_.bucket) +
        "</Bucket><Key>" + XmlEscape(c_.key) + "</Key><UploadId>" + XmlEscape(id) +
        "</UploadId><PartNumberMarker>" + std::to_string(marker) +
        "</PartNumberMarker><NextPartNumberMarker>" + std::to_string(last) +
        "</NextPartNumberMarker><MaxParts>" + std::to_string(max) + "</MaxParts><IsTruncated>" +
        (truncated ? "true" : "false") + "</IsTruncated><StorageClass>STANDARD</StorageClass>";
    return Xml(c_, x + body + "</ListPartsResult>");
  }

  Result<net::HttpResponse> ListUploads() {
    ASSIGN_OR_RETURN(auto uploads, model_.ListMultipartUploads(c_.bucket, c_.Q("prefix")));
    // Every upload in one page: this region keeps few, and IsTruncated says so honestly.
    std::string x = "<ListMultipartUploadsResult xmlns=\"" + std::string(kXmlns) + "\"><Bucket>" +
                    XmlEscape(c_.bucket) +
                    "</Bucket><KeyMarker></KeyMarker><UploadIdMarker>"
                    "</UploadIdMarker><Prefix>" +
                    XmlEscape(c_.Q("prefix")) + "</Prefix><MaxUploads>" +
                    std::to_string(std::max<size_t>(1000, uploads.size())) +
                    "</MaxUploads><IsTruncated>false</IsTruncated>";
    for (const S3UploadInfo& u : uploads)
      x += "<Upload><Key>" + XmlEscape(u.key) + "</Key><UploadId>" + u.upload_id +
           "</UploadId><Initiated>" + Iso(u.initiated) + "</Initiated><StorageClass>" +
           (u.attrs.storage_class.empty() ? "STANDARD" : u.attrs.storage_class) +
           "</StorageClass></Upload>";
    return Xml(c_, x + "</ListMultipartUploadsResult>");
  }

  S3Model& model_;
  RegionContext& ctx_;
  Call& c_;
};

}  // namespace

int S3ErrorStatus(std::string_view code) {
  static const std::map<std::string, int, std::less<>> kStatus = {
      {"NoSuchBucket", 404},         {"NoSuchKey", 404},
      {"NoSuchUpload", 404},         {"NoSuchVersion", 404},
      {"NotModified", 304},          {"PreconditionFailed", 412},
      {"InvalidRange", 416},         {"BucketAlreadyOwnedByYou", 409},
      {"BucketAlreadyExists", 409},  {"BucketNotEmpty", 409},
      {"OperationAborted", 409},     {"MethodNotAllowed", 405},
      {"MissingContentLength", 411}, {"NotImplemented", 501},
      {"AccessDenied", 403},         {"SignatureDoesNotMatch", 403},
      {"InvalidAccessKeyId", 403},   {"MissingAuthenticationToken", 403},
      {"InvalidClientTokenId", 403}, {"IncompleteSignature", 403},
      {"RequestTimeTooSkewed", 403}, {"InternalError", 500},
      {"ServiceUnavailable", 503},   {"SlowDown", 503},
  };
  auto it = kStatus.find(code);
  return it == kStatus.end() ? 400 : it->second;
}

namespace {

net::HttpResponse ErrorDocument(const RoutedRequest& request, const std::string& code,
                                const std::string& message, int status, const std::string& bucket,
                                const std::string& key, const std::string& upload_id) {
  net::HttpResponse r;
  r.status = status;
  r.headers.Set("x-amz-request-id", request.request_id);
  r.headers.Set("x-amz-id-2", HostIdFor(request.request_id));
  // HEAD answers carry no body, and neither does 304.
  if (request.http.method == "HEAD" || status == 304) return r;
  r.headers.Set("Content-Type", "application/xml");
  std::string x = std::string(kXmlDecl) + "<Error><Code>" + XmlEscape(code) + "</Code><Message>" +
                  XmlEscape(message) + "</Message>";
  if (code == "NoSuchKey" && !key.empty()) x += "<Key>" + XmlEscape(key) + "</Key>";
  if (code == "NoSuchUpload" && !upload_id.empty())
    x += "<UploadId>" + XmlEscape(upload_id) + "</UploadId>";
  if ((code == "NoSuchBucket" || code.starts_with("Bucket") || code == "InvalidBucketName") &&
      !bucket.empty())
    x += "<BucketName>" + XmlEscape(bucket) + "</BucketName>";
  x += "<RequestId>" + XmlEscape(request.request_id) + "</RequestId><HostId>" +
       HostIdFor(request.request_id) + "</HostId></Error>";
  r.body = std::move(x);
  return r;
}

// The bucket and key a request names: from a virtual-hosted Host, else from the path.
void Address(const net::ServerRequest& http, std::string& bucket, std::string& key, bool& has_key) {
  std::string path = http.path.empty() ? "/" : http.path;
  std::string host_bucket = VirtualHostBucket(http.headers.Get("Host"));
  if (!host_bucket.empty()) {
    bucket = host_bucket;
    key = net::UriDecode(path.substr(1));
    has_key = !key.empty();
    return;
  }
  size_t slash = path.find('/', 1);
  bucket =
      net::UriDecode(path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1));
  if (slash != std::string::npos) {
    key = net::UriDecode(path.substr(slash + 1));
    has_key = !key.empty();
  }
}

}  // namespace

void S3Front::Handle(const RoutedRequest& request, net::Responder respond) {
  Call c{request, request.http, "", "", false, {}, {}, "", {}, {}, {}};
  Address(request.http, c.bucket, c.key, c.has_key);
  for (auto& [k, v] : net::ParseQuery(request.http.query, /*plus_is_space=*/true)) {
    if (!PlainParam(k)) c.subresources.insert(k);
    c.query.emplace(k, v);
  }
  c.caller.principal_id = request.access_key.empty() ? "" : "AWS:" + request.access_key;
  c.caller.source_ip = request.http.peer.substr(0, request.http.peer.rfind(':'));
  if (c.caller.source_ip.empty()) c.caller.source_ip = "127.0.0.1";
  c.caller.request_id = request.request_id;
  c.caller.host_id = HostIdFor(request.request_id);

  Handlers handlers(model_, ctx_, c);
  Result<net::HttpResponse> resp = handlers.Serve();
  if (resp.ok()) {
    resp->headers.Set("Date", FormatHttpDate(ctx_.clock.Now()));
    return respond(std::move(*resp));
  }
  ErrorParts e = SplitServiceError(resp.status());
  int status = e.code == "InternalError" || e.code == "ServiceUnavailable" ? e.http_status
                                                                           : S3ErrorStatus(e.code);
  if (e.code == "InternalError" || e.code == "ServiceUnavailable")
    LogWarn("s3: request failed", {{"method", request.http.method},
                                   {"path", request.http.path},
                                   {"error", resp.status().ToString()}});
  respond(ErrorDocument(request, e.code, e.message, status, c.bucket, c.key, c.Q("uploadId")));
}

net::HttpResponse S3Front::ErrorResponse(const RoutedRequest& request, const WireError& error) {
  std::string bucket, key;
  bool has_key = false;
  Address(request.http, bucket, key, has_key);
  return ErrorDocument(request, error.code, error.message, error.http_status, bucket, key, "");
}

}  // namespace steady::region
