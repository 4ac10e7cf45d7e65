// XML as the AWS XML protocols (awsQuery, ec2Query, restXml) put it on the wire, parsed into a
// small owned tree that is easy to walk:
//
//   ASSIGN_OR_RETURN(XmlElement root, ParseXml(response.body));
//   for (const XmlElement* item : root.List("reservationSet", "item")) ...
//   std::string id = root.ChildText("requestId");
//
// Element names lose their namespace prefix ("s3:Key" → "Key"); attributes are dropped (no AWS
// response shape used here carries data in them, except xsi:type in S3 ACLs, which we do not
// read). pugixml does the parsing; the tree copies out what callers need so that pugixml stays
// out of this header.
//
// Thread safety: values; copy freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace steady::aws {

struct XmlElement {
  std::string name;  // local name, without a namespace prefix
  std::string text;  // the element's own character data (text and CDATA children, in order)
  std::vector<XmlElement> children;

  // First child element named `name`, or nullptr.
  const XmlElement* Child(std::string_view child_name) const;
  // Every child element named `name`, in document order.
  std::vector<const XmlElement*> Children(std::string_view child_name) const;
  // The text of Child(name), or `fallback` when there is no such child.
  std::string ChildText(std::string_view child_name, std::string_view fallback = "") const;
  // Typed reads of a child's text; nullopt when the child is missing or does not parse.
  std::optional<int64_t> ChildInt(std::string_view child_name) const;
  std::optional<double> ChildDouble(std::string_view child_name) const;
  std::optional<bool> ChildBool(std::string_view child_name) const;  // "true"/"false"

  // Follows a '/'-separated path of child names ("Errors/Error/Code"); nullptr if any step is
  // missing. An empty path is this element.
  const XmlElement* Find(std::string_view path) const;
  // Depth-first (pre-order) search of the subtree, this element included.
  const XmlElement* FindDescendant(std::string_view descendant_name) const;

  // The items of a wrapped list: the `member_name` children of Child(list_name)
  // (awsQuery wraps in "member", ec2Query in "item"). Empty when the list is absent.
  std::vector<const XmlElement*> List(std::string_view list_name,
                                      std::string_view member_name = "member") const;
};

// Elements nested deeper than this are rejected (kDataLoss): the tree is built recursively and
// no AWS response comes close.
inline constexpr int kMaxXmlDepth = 64;

// Parses a whole document and returns its root element. Malformed XML, an empty document or
// nesting beyond kMaxXmlDepth → kDataLoss with the parser's reason and byte offset.
Result<XmlElement> ParseXml(std::string_view document);

// Escapes text for element content or a quoted attribute: & < > " ' as entities, control
// characters other than tab and newline (CR included) as numeric references.
std::string XmlEscape(std::string_view text);

}  // namespace steady::aws
