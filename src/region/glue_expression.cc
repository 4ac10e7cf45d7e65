#include "region/glue_expression.h"

#include <re2/re2.h>

#include <charconv>
#include <optional>

#include "net/http.h"

namespace steady::region {

namespace {

using net::EqualsIgnoreCase;

bool NumericType(std::string_view hive_type) {
  std::string_view t = hive_type.substr(0, hive_type.find('('));  // decimal(10,2)
  for (std::string_view n :
       {"tinyint", "smallint", "int", "integer", "bigint", "long", "float", "double", "decimal"})
    if (EqualsIgnoreCase(t, n)) return true;
  return false;
}

std::optional<double> ParseNumber(std::string_view s) {
  double d = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, d);
  if (ec != std::errc() || p != end || s.empty()) return std::nullopt;
  return d;
}

// SQL LIKE: % is any run, _ any one character, everything else itself. Backtracks only to the
// last %, so the cost is at most value × pattern (both bounded by Glue's limits).
bool Like(std::string_view v, std::string_view p) {
  size_t vi = 0, pi = 0, star = std::string_view::npos, mark = 0;
  while (vi < v.size()) {
    if (pi < p.size() && (p[pi] == '_' || p[pi] == v[vi])) {
      ++vi;
      ++pi;
    } else if (pi < p.size() && p[pi] == '%') {
      star = pi++;
      mark = vi;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      vi = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

struct Token {
  enum Kind { kWord, kQuoted, kString, kNumber, kSymbol, kEnd } kind = kEnd;
  std::string text;  // words as written, quoted names and strings unquoted, symbols as is
  size_t pos = 0;    // 1-based character position, for errors
};

Result<std::vector<Token>> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  auto error = [&](const std::string& what) {
    return InvalidArgumentError("Expression: " + what + " at character " + std::to_string(i + 1));
  };
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Token t;
    t.pos = i + 1;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      t.kind = Token::kWord;
      t.text = s.substr(i, j - i);
      i = j;
    } else if (c == '\'' || c == '"' || c == '`') {
      // 'string', "name", `name`; the quote doubled inside stands for itself.
      size_t j = i + 1;
      std::string text;
      for (;;) {
        if (j >= s.size()) return error("unterminated quote");
        if (s[j] == c) {
          if (j + 1 < s.size() && s[j + 1] == c) {
            text += c;
            j += 2;
            continue;
          }
          break;
        }
        text += s[j++];
      }
      t.kind = c == '\'' ? Token::kString : Token::kQuoted;
      t.text = std::move(text);
      i = j + 1;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
               (c == '-' && i + 1 < s.size() &&
                (std::isdigit(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '.'))) {
      size_t j = i + 1;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
      t.kind = Token::kNumber;
      t.text = s.substr(i, j - i);
      if (!ParseNumber(t.text)) return error("malformed number '" + t.text + "'");
      i = j;
    } else {
      static constexpr std::string_view kTwo[] = {"<>", "!=", "<=", ">="};
      std::string_view rest = s.substr(i);
      t.kind = Token::kSymbol;
      for (std::string_view two : kTwo)
        if (rest.substr(0, 2) == two) t.text = two;
      if (t.text.empty()) {
        if (std::string_view("=<>(),").find(c) == std::string_view::npos)
          return error(std::string("unexpected '") + c + "'");
        t.text = std::string(1, c);
      }
      i += t.text.size();
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.pos = s.size() + 1;
  out.push_back(end);
  return out;
}

}  // namespace

struct GluePartitionFilter::Node {
  enum class Kind { kAnd, kOr, kNot, kCompare, kIn, kBetween, kLike, kIsNull };
  struct Literal {
    std::string text;
    double number = 0;  // when the key is numeric
  };

  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };

  Kind kind = Kind::kAnd;
  std::vector<std::shared_ptr<const Node>> children;  // kAnd, kOr, kNot
  size_t key = 0;
  bool numeric = false;
  Op op = Op::kEq;                // kCompare
  std::vector<Literal> literals;  // kCompare 1, kIn n, kBetween 2
  std::string pattern;            // kLike
  bool negated = false;           // NOT IN / NOT BETWEEN / NOT LIKE / IS NOT NULL

  // <0, 0, >0; nullopt when a numeric key holds a value that is no number (nothing holds).
  std::optional<int> Compare(const std::string& value, const Literal& lit) const {
    if (!numeric) return value.compare(lit.text);
    auto v = ParseNumber(value);
    if (!v) return std::nullopt;
    return *v < lit.number ? -1 : (*v > lit.number ? 1 : 0);
  }

  bool Eval(const std::vector<std::string>& values) const {
    switch (kind) {
      case Kind::kAnd:
        for (const auto& c : children)
          if (!c->Eval(values)) return false;
        return true;
      case Kind::kOr:
        for (const auto& c : children)
          if (c->Eval(values)) return true;
        return false;
      case Kind::kNot: return !children[0]->Eval(values);
      default: break;
    }
    if (key >= values.size()) return false;
    const std::string& v = values[key];
    switch (kind) {
      case Kind::kCompare: {
        auto c = Compare(v, literals[0]);
        if (!c) return false;
        switch (op) {
          case Op::kEq: return *c == 0;
          case Op::kNe: return *c != 0;
          case Op::kLt: return *c < 0;
          case Op::kLe: return *c <= 0;
          case Op::kGt: return *c > 0;
          case Op::kGe: return *c >= 0;
        }
        return false;
      }
      case Kind::kIn: {
        bool any = false;
        for (const Literal& lit : literals) {
          auto c = Compare(v, lit);
          if (!c) return false;
          any |= *c == 0;
        }
        return any != negated;
      }
      case Kind::kBetween: {
        auto lo = Compare(v, literals[0]);
        auto hi = Compare(v, literals[1]);
        if (!lo || !hi) return false;
        return (*lo >= 0 && *hi <= 0) != negated;
      }
      case Kind::kLike: return Like(v, pattern) != negated;
      case Kind::kIsNull: return negated;  // a partition value is never NULL
      default: return false;
    }
  }
};

namespace {

using Node = GluePartitionFilter::Node;
using NodePtr = std::shared_ptr<const Node>;

class Parser {
 public:
  Parser(std::vector<Token> tokens, const std::vector<aws::GlueColumn>& keys)
      : tokens_(std::move(tokens)), keys_(keys) {}

  Result<NodePtr> ParseAll() {
    ASSIGN_OR_RETURN(NodePtr root, ParseOr());
    if (Peek().kind != Token::kEnd) return Error("unexpected '" + Peek().text + "'");
    return root;
  }

 private:
  const Token& Peek() const { return tokens_[at_]; }
  const Token& Next() { return tokens_[at_ < tokens_.size() - 1 ? at_++ : at_]; }
  bool IsWord(std::string_view keyword) const {
    return Peek().kind == Token::kWord && EqualsIgnoreCase(Peek().text, keyword);
  }
  bool Accept(std::string_view keyword) {
    if (!IsWord(keyword)) return false;
    ++at_;
    return true;
  }
  bool AcceptSymbol(std::string_view symbol) {
    if (Peek().kind != Token::kSymbol || Peek().text != symbol) return false;
    ++at_;
    return true;
  }
  Status Error(const std::string& what) const {
    std::string where =
        Peek().kind == Token::kEnd ? "at the end" : "at character " + std::to_string(Peek().pos);
    return InvalidArgumentError("Expression: " + what + " " + where);
  }

  Result<NodePtr> ParseOr() {
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::kOr;
    do {
      ASSIGN_OR_RETURN(NodePtr child, ParseAnd());
      node->children.push_back(std::move(child));
    } while (Accept("or"));
    if (node->children.size() == 1) return node->children[0];
    return NodePtr(node);
  }

  Result<NodePtr> ParseAnd() {
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::kAnd;
    do {
      ASSIGN_OR_RETURN(NodePtr child, ParseUnary());
      node->children.push_back(std::move(child));
    } while (Accept("and"));
    if (node->children.size() == 1) return node->children[0];
    return NodePtr(node);
  }

  Result<NodePtr> ParseUnary() {
    if (++depth_ > kMaxDepth) return Error("nested too deeply");
    Result<NodePtr> out = ParseUnaryInner();
    --depth_;
    return out;
  }

  Result<NodePtr> ParseUnaryInner() {
    if (Accept("not")) {
      auto node = std::make_shared<Node>();
      node->kind = Node::Kind::kNot;
      ASSIGN_OR_RETURN(NodePtr child, ParseUnary());
      node->children.push_back(std::move(child));
      return NodePtr(node);
    }
    if (AcceptSymbol("(")) {
      ASSIGN_OR_RETURN(NodePtr inner, ParseOr());
      if (!AcceptSymbol(")")) return Error("expected ')'");
      return inner;
    }
    return ParsePredicate();
  }

  Result<NodePtr> ParsePredicate() {
    const Token& name = Peek();
    if (name.kind != Token::kWord && name.kind != Token::kQuoted)
      return Error(name.kind == Token::kEnd ? "expected a partition key"
                                            : "expected a partition key, not '" + name.text + "'");
    auto node = std::make_shared<Node>();
    bool found = false;
    for (size_t i = 0; i < keys_.size() && !found; ++i)
      if (EqualsIgnoreCase(keys_[i].name, name.text)) {
        node->key = i;
        node->numeric = NumericType(keys_[i].type);
        found = true;
      }
    if (!found) return Error("unknown partition key '" + name.text + "'");
    Next();

    if (auto op = ComparisonOp(Peek())) {
      node->kind = Node::Kind::kCompare;
      node->op = *op;
      Next();
      ASSIGN_OR_RETURN(auto lit, ParseLiteral(*node));
      node->literals.push_back(std::move(lit));
      return NodePtr(node);
    }
    if (Accept("is")) {
      node->kind = Node::Kind::kIsNull;
      node->negated = Accept("not");
      if (!Accept("null")) return Error("expected NULL");
      return NodePtr(node);
    }
    node->negated = Accept("not");
    if (Accept("in")) {
      node->kind = Node::Kind::kIn;
      if (!AcceptSymbol("(")) return Error("expected '(' after IN");
      do {
        ASSIGN_OR_RETURN(auto lit, ParseLiteral(*node));
        node->literals.push_back(std::move(lit));
      } while (AcceptSymbol(","));
      if (!AcceptSymbol(")")) return Error("expected ',' or ')' in the IN list");
      return NodePtr(node);
    }
    if (Accept("between")) {
      node->kind = Node::Kind::kBetween;
      ASSIGN_OR_RETURN(auto lo, ParseLiteral(*node));
      if (!Accept("and")) return Error("expected AND in BETWEEN");
      ASSIGN_OR_RETURN(auto hi, ParseLiteral(*node));
      node->literals = {std::move(lo), std::move(hi)};
      return NodePtr(node);
    }
    if (Accept("like")) {
      node->kind = Node::Kind::kLike;
      if (Peek().kind != Token::kString) return Error("expected a quoted pattern after LIKE");
      node->pattern = Next().text;
      return NodePtr(node);
    }
    return Error("expected a comparison, IN, BETWEEN, LIKE or IS after '" + name.text + "'");
  }

  static std::optional<Node::Op> ComparisonOp(const Token& t) {
    if (t.kind != Token::kSymbol) return std::nullopt;
    static constexpr std::pair<std::string_view, Node::Op> kOps[] = {
        {"=", Node::Op::kEq},  {"<>", Node::Op::kNe}, {"!=", Node::Op::kNe}, {"<", Node::Op::kLt},
        {"<=", Node::Op::kLe}, {">", Node::Op::kGt},  {">=", Node::Op::kGe}};
    for (const auto& [text, op] : kOps)
      if (t.text == text) return op;
    return std::nullopt;
  }

  Result<Node::Literal> ParseLiteral(const Node& node) {
    const Token& t = Peek();
    if (t.kind != Token::kString && t.kind != Token::kNumber)
      return Error(t.kind == Token::kEnd ? "expected a value"
                                         : "expected a value, not '" + t.text + "'");
    Node::Literal lit{t.text, 0};
    if (node.numeric) {
      auto n = ParseNumber(t.text);
      if (!n)
        return Error("'" + t.text + "' is not a number, as key '" + keys_[node.key].name +
                     "' of type " + keys_[node.key].type + " needs");
      lit.number = *n;
    }
    Next();
    return lit;
  }

  static constexpr int kMaxDepth = 100;
  std::vector<Token> tokens_;
  const std::vector<aws::GlueColumn>& keys_;
  size_t at_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<GluePartitionFilter> GluePartitionFilter::Parse(std::string_view expression,
                                                       const std::vector<aws::GlueColumn>& keys) {
  if (expression.size() > kMaxLength)
    return InvalidArgumentError("Expression must be at most 2048 characters long.");
  ASSIGN_OR_RETURN(auto tokens, Tokenize(expression));
  Parser parser(std::move(tokens), keys);
  GluePartitionFilter out;
  ASSIGN_OR_RETURN(out.root_, parser.ParseAll());
  return out;
}

bool GluePartitionFilter::Matches(const std::vector<std::string>& values) const {
  return root_ && root_->Eval(values);
}

Result<GlueTableNameFilter> GlueTableNameFilter::Parse(std::string_view pattern) {
  std::string regex;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '*' && (i == 0 || pattern[i - 1] != '.')) regex += '.';
    regex += pattern[i];
  }
  RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  auto re = std::make_shared<const RE2>(regex, options);
  if (!re->ok()) return InvalidArgumentError("Expression is not a valid pattern: " + re->error());
  GlueTableNameFilter out;
  out.re_ = std::move(re);
  return out;
}

bool GlueTableNameFilter::Matches(std::string_view table_name) const {
  return RE2::FullMatch(table_name, *re_);
}

}  // namespace steady::region
