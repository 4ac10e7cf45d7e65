#include "net/http.h"

#include <charconv>

namespace steady::net {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x += 32;
    if (y >= 'A' && y <= 'Z') y += 32;
    if (x != y) return false;
  }
  return true;
}

void HttpHeaders::Set(std::string_view name, std::string value) {
  Remove(name);
  entries_.emplace_back(std::string(name), std::move(value));
}

void HttpHeaders::Remove(std::string_view name) {
  std::erase_if(entries_, [&](const Entry& e) { return EqualsIgnoreCase(e.first, name); });
}

const std::string* HttpHeaders::Find(std::string_view name) const {
  for (const Entry& e : entries_)
    if (EqualsIgnoreCase(e.first, name)) return &e.second;
  return nullptr;
}

std::string Url::HostHeader() const {
  // IPv6 literals keep their brackets in a Host header, with or without a port (RFC 7230 5.4).
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (!explicit_port) return h;
  return h + ":" + std::to_string(port);
}

Result<Url> ParseUrl(std::string_view url) {
  Url u;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return InvalidArgumentError("URL without scheme: '" + std::string(url) + "'");
  u.scheme = std::string(url.substr(0, scheme_end));
  for (char& c : u.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (u.scheme != "http" && u.scheme != "https")
    return InvalidArgumentError("URL scheme must be http or https: '" + std::string(url) + "'");
  std::string_view rest = url.substr(scheme_end + 3);
  size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path_query =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (authority.empty())
    return InvalidArgumentError("URL without host: '" + std::string(url) + "'");
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgumentError("bad IPv6 host in URL");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return InvalidArgumentError("bad port in URL");
      port = authority.substr(close + 2);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  u.host = std::string(host);
  u.port = u.scheme == "https" ? 443 : 80;
  if (!port.empty()) {
    int p = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || p <= 0 || p > 65535)
      return InvalidArgumentError("bad port in URL: '" + std::string(url) + "'");
    u.port = p;
    u.explicit_port = true;
  }
  size_t q = path_query.find('?');
  u.path = std::string(path_query.substr(0, q));
  if (q != std::string_view::npos) u.query = std::string(path_query.substr(q + 1));
  if (u.path.empty()) u.path = "/";
  return u;
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string UriDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query,
                                                            bool plus_is_space) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view part = query.substr(start, amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(UriDecode(part, plus_is_space), "");
      } else {
        out.emplace_back(UriDecode(part.substr(0, eq), plus_is_space),
                         UriDecode(part.substr(eq + 1), plus_is_space));
      }
    }
    start = amp + 1;
  }
  return out;
}

}  // namespace steady::net
