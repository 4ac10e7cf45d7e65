#include "region/s3_wire.h"

#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <pugixml.hpp>

#include "aws/protocol_xml.h"
#include "base/base64.h"
#include "region/journal.h"
#include "region/service_error.h"

namespace steady::region {

namespace {

constexpr std::string_view kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";

Status Malformed(std::string_view op) {
  return ServiceError(op, "MalformedXML",
                      "The XML you provided was not well-formed or did not validate against our "
                      "published schema");
}

Status Incomplete(std::string_view why) {
  return ServiceError("PutObject", "IncompleteBody",
                      "The request body terminated unexpectedly (" + std::string(why) + ")");
}

std::string_view LocalName(const char* name) {
  std::string_view n = name;
  size_t colon = n.rfind(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

pugi::xml_node Child(const pugi::xml_node& node, std::string_view name) {
  for (pugi::xml_node c : node.children())
    if (c.type() == pugi::node_element && LocalName(c.name()) == name) return c;
  return {};
}

std::vector<pugi::xml_node> Children(const pugi::xml_node& node, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c : node.children())
    if (c.type() == pugi::node_element && LocalName(c.name()) == name) out.push_back(c);
  return out;
}

// Parses `xml` and checks the root element's name; MalformedXML otherwise.
Result<pugi::xml_node> Load(pugi::xml_document& doc, std::string_view xml, std::string_view root,
                            std::string_view op) {
  pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
                      pugi::encoding_utf8);
  if (!parsed) return Malformed(op);
  pugi::xml_node r = doc.document_element();
  if (!r || LocalName(r.name()) != root) return Malformed(op);
  return r;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string BigEndian32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  return out;
}

std::string Digest(const EVP_MD* md, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

}  // namespace

Result<AwsChunkedBody> DecodeAwsChunked(std::string_view body) {
  AwsChunkedBody out;
  size_t pos = 0;
  auto line = [&](std::string_view& l) {
    size_t end = body.find("\r\n", pos);
    if (end == std::string_view::npos) return false;
    l = body.substr(pos, end - pos);
    pos = end + 2;
    return true;
  };
  while (true) {
    std::string_view header;
    if (!line(header)) return Incomplete("missing chunk header");
    std::string_view size_text = header.substr(0, header.find(';'));
    while (!size_text.empty() && size_text.back() == ' ') size_text.remove_suffix(1);
    uint64_t size = 0;
    auto r = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (size_text.empty() || r.ec != std::errc() || r.ptr != size_text.data() + size_text.size())
      return Incomplete("bad chunk size");
    if (size == 0) break;
    if (size > body.size() - pos || body.size() - pos - size < 2)
      return Incomplete("chunk shorter than its size");
    out.data.append(body.substr(pos, size));
    pos += size;
    if (body.substr(pos, 2) != "\r\n") return Incomplete("chunk not followed by CRLF");
    pos += 2;
  }
  // Trailers until an empty line (or the end: some clients omit the final CRLF).
  while (pos < body.size()) {
    std::string_view l;
    if (!line(l)) l = body.substr(pos), pos = body.size();
    if (l.empty()) break;
    size_t colon = l.find(':');
    if (colon == std::string_view::npos) return Incomplete("bad trailer");
    std::string_view value = l.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.remove_suffix(1);
    out.trailers.emplace_back(Lower(l.substr(0, colon)), std::string(value));
  }
  return out;
}

std::string Crc32cBase64(std::string_view data) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82F63B78u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) crc = kTable[(crc ^ c) & 0xff] ^ (crc >> 8);
  return Base64Encode(BigEndian32(crc ^ 0xFFFFFFFFu));
}

Status VerifyChecksum(std::string_view name, std::string_view value, std::string_view data) {
  std::string algo = Lower(name);
  if (!algo.starts_with("x-amz-checksum-")) return Status::Ok();
  algo = algo.substr(15);
  std::string want;
  size_t bytes = 0;
  if (algo == "crc32") {
    want = Base64Encode(BigEndian32(Crc32(data)));
    bytes = 4;
  } else if (algo == "crc32c") {
    want = Crc32cBase64(data);
    bytes = 4;
  } else if (algo == "sha1") {
    want = Base64Encode(Digest(EVP_sha1(), data));
    bytes = 20;
  } else if (algo == "sha256") {
    want = Base64Encode(Digest(EVP_sha256(), data));
    bytes = 32;
  } else {
    return Status::Ok();  // crc64nvme and future algorithms: stored, not checked
  }
  auto decoded = Base64Decode(value);
  std::string upper = algo;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!decoded.ok() || decoded->size() != bytes)
    return ServiceError("PutObject", "InvalidRequest",
                        "Value for x-amz-checksum-" + algo + " header is invalid.");
  if (want != value)
    return ServiceError("PutObject", "BadDigest",
                        "The " + upper + " you specified did not match the calculated checksum.");
  return Status::Ok();
}

Status VerifyContentMd5(std::string_view value, std::string_view data) {
  auto decoded = Base64Decode(value);
  if (!decoded.ok() || decoded->size() != 16)
    return ServiceError("PutObject", "InvalidDigest", "The Content-MD5 you specified was invalid.");
  if (*decoded != Digest(EVP_md5(), data))
    return ServiceError("PutObject", "BadDigest",
                        "The Content-MD5 you specified did not match what we received.");
  return Status::Ok();
}

std::string VirtualHostBucket(std::string_view host) {
  // Strip the port (an IPv6 literal is never a virtual host).
  if (host.starts_with('[')) return "";
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) host = host.substr(0, colon);
  std::string h = Lower(host);
  if (h.ends_with(".localhost")) return h.substr(0, h.size() - 10);
  for (std::string_view marker : {".s3.", ".s3-"}) {
    size_t at = h.find(marker);
    if (at != std::string::npos && at > 0) return h.substr(0, at);
  }
  return "";
}

Result<DeleteRequest> ParseDeleteRequest(std::string_view xml) {
  constexpr std::string_view kOp = "DeleteObjects";
  pugi::xml_document doc;
  ASSIGN_OR_RETURN(pugi::xml_node root, Load(doc, xml, "Delete", kOp));
  DeleteRequest out;
  if (pugi::xml_node q = Child(root, "Quiet")) {
    std::string v = Lower(q.text().as_string());
    if (v != "true" && v != "false") return Malformed(kOp);
    out.quiet = v == "true";
  }
  for (const pugi::xml_node& o : Children(root, "Object")) {
    pugi::xml_node k = Child(o, "Key");
    if (!k) return Malformed(kOp);
    out.keys.push_back(k.text().as_string());
  }
  if (out.keys.empty() || out.keys.size() > 1000) return Malformed(kOp);
  return out;
}

Result<std::vector<std::pair<int, std::string>>> ParseCompleteMultipartUpload(
    std::string_view xml) {
  constexpr std::string_view kOp = "CompleteMultipartUpload";
  pugi::xml_document doc;
  ASSIGN_OR_RETURN(pugi::xml_node root, Load(doc, xml, "CompleteMultipartUpload", kOp));
  std::vector<std::pair<int, std::string>> out;
  for (const pugi::xml_node& p : Children(root, "Part")) {
    pugi::xml_node n = Child(p, "PartNumber"), e = Child(p, "ETag");
    if (!n || !e) return Malformed(kOp);
    std::string_view text = n.text().as_string();
    int number = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size())
      return Malformed(kOp);
    out.emplace_back(number, e.text().as_string());
  }
  if (out.empty()) return Malformed(kOp);
  return out;
}

Result<std::vector<S3QueueNotification>> ParseNotificationConfiguration(std::string_view xml) {
  constexpr std::string_view kOp = "PutBucketNotificationConfiguration";
  pugi::xml_document doc;
  ASSIGN_OR_RETURN(pugi::xml_node root, Load(doc, xml, "NotificationConfiguration", kOp));
  std::vector<S3QueueNotification> out;
  for (pugi::xml_node c : root.children()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view kind = LocalName(c.name());
    if (kind == "EventBridgeConfiguration")
      return ServiceError(kOp, "NotImplemented",
                          "steady region does not deliver S3 events to EventBridge", 501);
    if (kind == "TopicConfiguration" || kind == "CloudFunctionConfiguration" ||
        kind == "LambdaFunctionConfiguration")
      return ServiceError(kOp, "InvalidArgument",
                          "Unable to validate the following destination configurations (steady "
                          "region delivers S3 events to SQS queues only)");
    if (kind != "QueueConfiguration") return Malformed(kOp);
    S3QueueNotification n;
    n.id = Child(c, "Id").text().as_string();
    n.queue_arn = Child(c, "Queue").text().as_string();
    for (const pugi::xml_node& e : Children(c, "Event")) n.events.push_back(e.text().as_string());
    if (n.queue_arn.empty() || n.events.empty()) return Malformed(kOp);
    if (pugi::xml_node f = Child(c, "Filter")) {
      pugi::xml_node key = Child(f, "S3Key");
      for (const pugi::xml_node& rule : Children(key, "FilterRule")) {
        std::string name = Lower(Child(rule, "Name").text().as_string());
        std::string value = Child(rule, "Value").text().as_string();
        std::string* slot = name == "prefix" ? &n.prefix : name == "suffix" ? &n.suffix : nullptr;
        if (!slot)
          return ServiceError(kOp, "InvalidArgument",
                              "filter rule name must be either prefix or suffix");
        if (!slot->empty())
          return ServiceError(kOp, "InvalidArgument",
                              "Cannot specify more than one " + name + " rule in a filter.");
        *slot = value;
      }
    }
    out.push_back(std::move(n));
  }
  return out;
}

std::string NotificationConfigurationXml(const std::vector<S3QueueNotification>& queues) {
  using aws::XmlEscape;
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><NotificationConfiguration xmlns=\"" +
                  std::string(kXmlns) + "\">";
  for (const auto& q : queues) {
    x += "<QueueConfiguration><Id>" + XmlEscape(q.id) + "</Id><Queue>" + XmlEscape(q.queue_arn) +
         "</Queue>";
    for (const auto& e : q.events) x += "<Event>" + XmlEscape(e) + "</Event>";
    if (!q.prefix.empty() || !q.suffix.empty()) {
      x += "<Filter><S3Key>";
      if (!q.prefix.empty())
        x += "<FilterRule><Name>Prefix</Name><Value>" + XmlEscape(q.prefix) +
             "</Value></FilterRule>";
      if (!q.suffix.empty())
        x += "<FilterRule><Name>Suffix</Name><Value>" + XmlEscape(q.suffix) +
             "</Value></FilterRule>";
      x += "</S3Key></Filter>";
    }
    x += "</QueueConfiguration>";
  }
  return x + "</NotificationConfiguration>";
}

Result<std::string> ParseCreateBucketConfiguration(std::string_view xml) {
  if (xml.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::string();
  pugi::xml_document doc;
  ASSIGN_OR_RETURN(pugi::xml_node root,
                   Load(doc, xml, "CreateBucketConfiguration", "CreateBucket"));
  return std::string(Child(root, "LocationConstraint").text().as_string());
}

}  // namespace steady::region
