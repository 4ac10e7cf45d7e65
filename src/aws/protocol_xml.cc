#include "aws/protocol_xml.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <pugixml.hpp>

namespace steady::aws {
namespace {

std::string_view LocalName(std::string_view name) {
  size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Copies `node` and its element children into `out`. Returns false when the document nests
// deeper than kMaxXmlDepth; the recursion depth is bounded by that check.
bool Convert(const pugi::xml_node& node, int depth, XmlElement& out) {
  if (depth > kMaxXmlDepth) return false;
  out.name = std::string(LocalName(node.name()));
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    switch (child.type()) {
      case pugi::node_pcdata:
      case pugi::node_cdata: out.text += child.value(); break;
      case pugi::node_element:
        out.children.emplace_back();
        if (!Convert(child, depth + 1, out.children.back())) return false;
        break;
      default: break;  // comments, processing instructions
    }
  }
  return true;
}

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child_name) const {
  for (const XmlElement& c : children)
    if (c.name == child_name) return &c;
  return nullptr;
}

std::vector<const XmlElement*> XmlElement::Children(std::string_view child_name) const {
  std::vector<const XmlElement*> out;
  for (const XmlElement& c : children)
    if (c.name == child_name) out.push_back(&c);
  return out;
}

std::string XmlElement::ChildText(std::string_view child_name, std::string_view fallback) const {
  const XmlElement* c = Child(child_name);
  return c ? c->text : std::string(fallback);
}

std::optional<int64_t> XmlElement::ChildInt(std::string_view child_name) const {
  const XmlElement* c = Child(child_name);
  if (!c) return std::nullopt;
  int64_t v = 0;
  const char* begin = c->text.data();
  const char* end = begin + c->text.size();
  auto [ptr, ec] = std::from_chars(begin, end, v);
  if (ec != std::errc() || ptr != end || begin == end) return std::nullopt;
  return v;
}

std::optional<double> XmlElement::ChildDouble(std::string_view child_name) const {
  const XmlElement* c = Child(child_name);
  if (!c || c->text.empty()) return std::nullopt;
  // strtod rather than from_chars<double>: the latter is missing from older libstdc++ builds.
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(c->text.c_str(), &end);
  if (end != c->text.c_str() + c->text.size() || errno == ERANGE) return std::nullopt;
  return v;
}

std::optional<bool> XmlElement::ChildBool(std::string_view child_name) const {
  const XmlElement* c = Child(child_name);
  if (!c) return std::nullopt;
  if (c->text == "true") return true;
  if (c->text == "false") return false;
  return std::nullopt;
}

const XmlElement* XmlElement::Find(std::string_view path) const {
  const XmlElement* e = this;
  while (!path.empty() && e) {
    size_t slash = path.find('/');
    std::string_view step = path.substr(0, slash);
    e = e->Child(step);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return e;
}

const XmlElement* XmlElement::FindDescendant(std::string_view descendant_name) const {
  if (name == descendant_name) return this;
  for (const XmlElement& c : children)
    if (const XmlElement* found = c.FindDescendant(descendant_name)) return found;
  return nullptr;
}

std::vector<const XmlElement*> XmlElement::List(std::string_view list_name,
                                                std::string_view member_name) const {
  const XmlElement* list = Child(list_name);
  if (!list) return {};
  return list->Children(member_name);
}

Result<XmlElement> ParseXml(std::string_view document) {
  pugi::xml_document doc;
  pugi::xml_parse_result parsed =
      doc.load_buffer(document.data(), document.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    return DataLossError("malformed XML at byte " + std::to_string(parsed.offset) + ": " +
                         parsed.description());
  }
  pugi::xml_node root = doc.document_element();
  if (!root) return DataLossError("XML document has no root element");
  XmlElement out;
  if (!Convert(root, 1, out)) {
    return DataLossError("XML nests deeper than " + std::to_string(kMaxXmlDepth) + " elements");
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: {
        unsigned char u = static_cast<unsigned char>(ch);
        // CR too: a parser folds a raw CR LF into LF, so a literal CR would not survive.
        if (u < 0x20 && u != '\t' && u != '\n') {
          char buf[8];
          std::snprintf(buf, sizeof buf, "&#x%X;", u);
          out += buf;
        } else {
          out += ch;
        }
      }
    }
  }
  return out;
}

}  // namespace steady::aws
