#include "search/sql.h"

#include <dlfcn.h>
#include <duckdb.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "logs/layout.h"

namespace steady::search {

namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

struct CivilDay {
  int year, month, day;
  auto operator<=>(const CivilDay&) const = default;
};

CivilDay DayOfMinute(int64_t minute) {
  using namespace std::chrono;
  year_month_day ymd{floor<days>(sys_seconds{seconds{minute * 60}})};
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

Time StartOfDay(int year, int month, int day) {
  using namespace std::chrono;
  sys_days d{std::chrono::year{year} / std::chrono::month{static_cast<unsigned>(month)} /
             std::chrono::day{static_cast<unsigned>(day)}};
  return Time{duration_cast<nanoseconds>(d.time_since_epoch())};
}

// ---- Query analysis over DuckDB's serialized parse tree (json_serialize_sql). ----

using nlohmann::json;

// Members by name, without throwing on a missing member or another type.
std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

bool Bool(const json& j, const char* key, bool fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

std::optional<int64_t> ConstantInt(const json& e) {
  if (!e.is_object() || Str(e, "class") != "CONSTANT") return std::nullopt;
  auto v = e.find("value");
  if (v == e.end() || !v->is_object()) return std::nullopt;
  if (Bool(*v, "is_null", false)) return std::nullopt;
  auto type = v->find("type");
  if (type == v->end() || !type->is_object()) return std::nullopt;
  std::string id = Str(*type, "id");
  auto value = v->find("value");
  if (value == v->end()) return std::nullopt;
  static const std::set<std::string> kInts = {"TINYINT",  "SMALLINT", "INTEGER",
                                              "BIGINT",   "UTINYINT", "USMALLINT",
                                              "UINTEGER", "UBIGINT",  "INTEGER_LITERAL"};
  if (kInts.count(id) && value->is_number_integer()) {
    if (value->is_number_unsigned()) {
      uint64_t u = value->get<uint64_t>();
      if (u > static_cast<uint64_t>(kMax)) return std::nullopt;
      return static_cast<int64_t>(u);
    }
    return value->get<int64_t>();
  }
  if (id == "VARCHAR" && value->is_string()) {  // '2018' compared with an INTEGER column
    const std::string& s = value->get_ref<const std::string&>();
    int64_t out = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return out;
  }
  return std::nullopt;
}

// 0 year, 1 month, 2 day, -1 not a partition column of this reference.
int PartitionColumn(const json& e, const std::string& qualifier) {
  if (!e.is_object() || Str(e, "class") != "COLUMN_REF") return -1;
  auto names = e.find("column_names");
  if (names == e.end() || !names->is_array() || names->empty() || names->size() > 2) return -1;
  for (const auto& n : *names) {
    if (!n.is_string()) return -1;
  }
  if (names->size() == 2 && Lower((*names)[0].get<std::string>()) != qualifier) return -1;
  std::string col = Lower(names->back().get<std::string>());
  if (col == "year") return 0;
  if (col == "month") return 1;
  if (col == "day") return 2;
  return -1;
}

IntervalSet& Component(DayFilter* f, int col) {
  return col == 0 ? f->years : col == 1 ? f->months : f->days;
}

IntervalSet CompareSet(const std::string& op, int64_t v) {
  if (op == "COMPARE_EQUAL") return IntervalSet::Range(v, v);
  if (op == "COMPARE_LESSTHAN")
    return v == kMin ? IntervalSet::None() : IntervalSet::Range(kMin, v - 1);
  if (op == "COMPARE_LESSTHANOREQUALTO") return IntervalSet::Range(kMin, v);
  if (op == "COMPARE_GREATERTHAN")
    return v == kMax ? IntervalSet::None() : IntervalSet::Range(v + 1, kMax);
  if (op == "COMPARE_GREATERTHANOREQUALTO") return IntervalSet::Range(v, kMax);
  return IntervalSet::All();  // not understood: no restriction
}

std::string FlipComparison(const std::string& op) {
  if (op == "COMPARE_LESSTHAN") return "COMPARE_GREATERTHAN";
  if (op == "COMPARE_GREATERTHAN") return "COMPARE_LESSTHAN";
  if (op == "COMPARE_LESSTHANOREQUALTO") return "COMPARE_GREATERTHANOREQUALTO";
  if (op == "COMPARE_GREATERTHANOREQUALTO") return "COMPARE_LESSTHANOREQUALTO";
  return op;
}

// Narrows `f` by the conjuncts of `e` it understands; ignores (widens) everything else.
void ApplyConjuncts(const json& e, const std::string& qualifier, DayFilter* f) {
  if (!e.is_object()) return;
  std::string cls = Str(e, "class");
  std::string type = Str(e, "type");
  if (cls == "CONJUNCTION" && type == "CONJUNCTION_AND") {
    auto children = e.find("children");
    if (children != e.end() && children->is_array()) {
      for (const auto& c : *children) ApplyConjuncts(c, qualifier, f);
    }
    return;
  }
  if (cls == "COMPARISON") {
    auto l = e.find("left"), r = e.find("right");
    if (l == e.end() || r == e.end()) return;
    int col = PartitionColumn(*l, qualifier);
    std::optional<int64_t> v = ConstantInt(*r);
    std::string op = type;
    if (col < 0 || !v) {
      col = PartitionColumn(*r, qualifier);
      v = ConstantInt(*l);
      op = FlipComparison(type);
    }
    if (col < 0 || !v) return;
    IntervalSet& s = Component(f, col);
    s = s.Intersect(CompareSet(op, *v));
    return;
  }
  if (cls == "OPERATOR" && type == "COMPARE_IN") {
    auto children = e.find("children");
    if (children == e.end() || !children->is_array() || children->size() < 2) return;
    int col = PartitionColumn((*children)[0], qualifier);
    if (col < 0) return;
    IntervalSet in = IntervalSet::None();
    for (size_t i = 1; i < children->size(); ++i) {
      std::optional<int64_t> v = ConstantInt((*children)[i]);
      if (!v) return;  // a non-constant in the list: no restriction
      in = in.Union(IntervalSet::Range(*v, *v));
    }
    IntervalSet& s = Component(f, col);
    s = s.Intersect(in);
    return;
  }
  if (cls == "BETWEEN" && type == "COMPARE_BETWEEN") {
    auto input = e.find("input"), lower = e.find("lower"), upper = e.find("upper");
    if (input == e.end() || lower == e.end() || upper == e.end()) return;
    int col = PartitionColumn(*input, qualifier);
    std::optional<int64_t> lo = ConstantInt(*lower), hi = ConstantInt(*upper);
    if (col < 0 || !lo || !hi) return;
    IntervalSet& s = Component(f, col);
    s = s.Intersect(IntervalSet::Range(*lo, *hi));
  }
}

class TreeWalker {
 public:
  explicit TreeWalker(const std::set<std::string>& tables) : tables_(tables) {}

  void Visit(const json& j) {
    if (j.is_object()) {
      std::string type = Str(j, "type");
      if (type == "SELECT_NODE") VisitSelect(j);
      if (type == "BASE_TABLE" && !handled_.count(&j)) Record(j, DayFilter{});
      auto cte = j.find("cte_map");
      if (cte != j.end() && cte->is_object()) {
        auto map = cte->find("map");
        if (map != cte->end() && map->is_array()) {
          for (const auto& entry : *map) {
            if (entry.is_object() && entry.contains("key") && entry["key"].is_string()) {
              cte_names_.insert(Lower(entry["key"].get<std::string>()));
            }
          }
        }
      }
      for (const auto& [key, value] : j.items()) Visit(value);
    } else if (j.is_array()) {
      for (const auto& v : j) Visit(v);
    }
  }

  std::vector<std::pair<std::string, TableAccess>> Finish() {
    std::vector<std::pair<std::string, TableAccess>> out;
    for (auto& [name, access] : found_) {
      // A CTE named like a log table: which references mean the table is not worth working
      // out; read every day.
      if (cte_names_.count(name)) access.filters.assign(1, DayFilter{});
      out.emplace_back(name, std::move(access));
    }
    return out;
  }

 private:
  void VisitSelect(const json& node) {
    auto from = node.find("from_table");
    if (from == node.end() || !from->is_object() || Str(*from, "type") != "BASE_TABLE") {
      return;
    }
    std::string name = Lower(Str(*from, "table_name"));
    std::string alias = Lower(Str(*from, "alias"));
    DayFilter f;
    auto where = node.find("where_clause");
    if (where != node.end() && !where->is_null()) {
      ApplyConjuncts(*where, alias.empty() ? name : alias, &f);
    }
    Record(*from, f);
    handled_.insert(&*from);
  }

  void Record(const json& table_ref, const DayFilter& f) {
    // A schema- or catalog-qualified name is not one of the temporary views.
    std::string schema = Lower(Str(table_ref, "schema_name"));
    std::string catalog = Lower(Str(table_ref, "catalog_name"));
    if (!(schema.empty() || schema == "temp" || schema == "main") ||
        !(catalog.empty() || catalog == "temp" || catalog == "memory")) {
      return;
    }
    std::string name = Lower(Str(table_ref, "table_name"));
    if (!tables_.count(name)) return;
    found_[name].filters.push_back(f);
  }

  const std::set<std::string>& tables_;
  std::set<const json*> handled_;
  std::set<std::string> cte_names_;
  std::map<std::string, TableAccess> found_;
};

// Identifiers of `sql`, lower-cased, quoted or not; skips string literals and comments.
std::set<std::string> ScanIdentifiers(std::string_view sql) {
  std::set<std::string> out;
  size_t i = 0, n = sql.size();
  auto ident_start = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  auto ident_char = [&](char c) { return ident_start(c) || (c >= '0' && c <= '9') || c == '$'; };
  while (i < n) {
    char c = sql[i];
    if (c == '\'') {
      for (++i; i < n; ++i) {
        if (sql[i] == '\'') {
          if (i + 1 < n && sql[i + 1] == '\'') {
            ++i;
          } else {
            break;
          }
        }
      }
      ++i;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? n : end + 2;
    } else if (c == '"') {
      std::string id;
      for (++i; i < n; ++i) {
        if (sql[i] == '"') {
          if (i + 1 < n && sql[i + 1] == '"') {
            id += '"';
            ++i;
          } else {
            break;
          }
        } else {
          id += sql[i];
        }
      }
      ++i;
      out.insert(Lower(id));
    } else if (ident_start(c)) {
      size_t start = i;
      while (i < n && ident_char(sql[i])) ++i;
      out.insert(Lower(sql.substr(start, i - start)));
    } else {
      ++i;
    }
  }
  return out;
}

// ---- libduckdb, loaded on first use ----
//
// libduckdb.so is 60 MB with 74,000 relocations: linked into `steady`, it cost every command
// ~20 ms at start (grep, tail, oneshot...), though only `logs sql` uses it. So it is opened
// with dlopen when a SqlSession is first opened, found through the binary's RUNPATH (the
// build's tools/node_modules; src/search/CMakeLists.txt), and its C API called through this
// table. duckdb.h still gives the declarations, so the types are checked as before.
#define STEADY_DUCKDB_FUNCTIONS(X) \
  X(duckdb_close)                  \
  X(duckdb_column_count)           \
  X(duckdb_column_name)            \
  X(duckdb_column_type)            \
  X(duckdb_connect)                \
  X(duckdb_create_config)          \
  X(duckdb_data_chunk_get_size)    \
  X(duckdb_data_chunk_get_vector)  \
  X(duckdb_destroy_config)         \
  X(duckdb_destroy_data_chunk)     \
  X(duckdb_destroy_result)         \
  X(duckdb_disconnect)             \
  X(duckdb_free)                   \
  X(duckdb_open_ext)               \
  X(duckdb_query)                  \
  X(duckdb_result_chunk_count)     \
  X(duckdb_result_error)           \
  X(duckdb_result_get_chunk)       \
  X(duckdb_set_config)             \
  X(duckdb_string_t_data)          \
  X(duckdb_string_t_length)        \
  X(duckdb_validity_row_is_valid)  \
  X(duckdb_value_varchar)          \
  X(duckdb_vector_get_data)        \
  X(duckdb_vector_get_validity)

struct DuckDbApi {
#define STEADY_DUCKDB_POINTER(name) decltype(&::name) name = nullptr;
  STEADY_DUCKDB_FUNCTIONS(STEADY_DUCKDB_POINTER)
#undef STEADY_DUCKDB_POINTER
};

DuckDbApi g_api;

// The loaded table; only called once LoadDuckDb() has succeeded (every caller is behind a
// SqlSession, which Open() makes only then).
const DuckDbApi& Api() { return g_api; }

Status LoadDuckDb() {
  static Status loaded = [] {
    void* lib = ::dlopen("libduckdb.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* why = ::dlerror();
      return FailedPreconditionError(
          std::string("cannot load libduckdb.so (run scripts/install-deps): ") + (why ? why : "?"));
    }
    DuckDbApi api;
#define STEADY_DUCKDB_RESOLVE(name)                                    \
  api.name = reinterpret_cast<decltype(&::name)>(::dlsym(lib, #name)); \
  if (!api.name) return FailedPreconditionError("libduckdb.so lacks " #name);
    STEADY_DUCKDB_FUNCTIONS(STEADY_DUCKDB_RESOLVE)
#undef STEADY_DUCKDB_RESOLVE
    g_api = api;
    return Status::Ok();
  }();
  return loaded;
}

SqlValueKind KindOf(duckdb_type t) {
  switch (t) {
    case DUCKDB_TYPE_BOOLEAN: return SqlValueKind::kBool;
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_DECIMAL: return SqlValueKind::kNumber;
    default: return SqlValueKind::kString;
  }
}

template <typename T>
std::string IntText(T v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  return std::string(buf, p);
}

template <typename T>
std::string FloatText(T v) {
  if (v != v) return "nan";
  if (v == std::numeric_limits<T>::infinity()) return "inf";
  if (v == -std::numeric_limits<T>::infinity()) return "-inf";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  return std::string(buf, p);
}

// Hands a materialized result to `sink` row by row as text cells: the common types straight
// from the vectors, the rest through DuckDB's own VARCHAR conversion. Returns the row count.
Result<uint64_t> Emit(duckdb_result* r, SqlRowSink& sink) {
  idx_t ncols = Api().duckdb_column_count(r);
  std::vector<std::string> columns;
  std::vector<SqlValueKind> kinds;
  std::vector<duckdb_type> types(ncols);
  for (idx_t c = 0; c < ncols; ++c) {
    const char* name = Api().duckdb_column_name(r, c);
    columns.emplace_back(name ? name : "");
    types[c] = Api().duckdb_column_type(r, c);
    kinds.push_back(KindOf(types[c]));
  }
  sink.Begin(columns, kinds);
  std::vector<std::optional<std::string_view>> cells(ncols);
  std::vector<std::string> scratch(ncols);  // text of the non-VARCHAR cells of the current row
  std::vector<duckdb_vector> vectors(ncols);
  idx_t nchunks = Api().duckdb_result_chunk_count(*r);
  idx_t base = 0;
  for (idx_t k = 0; k < nchunks; ++k) {
    duckdb_data_chunk chunk = Api().duckdb_result_get_chunk(*r, k);
    if (!chunk) break;
    idx_t size = Api().duckdb_data_chunk_get_size(chunk);
    for (idx_t c = 0; c < ncols; ++c) vectors[c] = Api().duckdb_data_chunk_get_vector(chunk, c);
    for (idx_t i = 0; i < size; ++i) {
      for (idx_t c = 0; c < ncols; ++c) {
        uint64_t* validity = Api().duckdb_vector_get_validity(vectors[c]);
        if (validity && !Api().duckdb_validity_row_is_valid(validity, i)) {
          cells[c].reset();
          continue;
        }
        void* data = Api().duckdb_vector_get_data(vectors[c]);
        std::string& text = scratch[c];
        switch (types[c]) {
          case DUCKDB_TYPE_VARCHAR: {
            auto* s = static_cast<duckdb_string_t*>(data) + i;
            cells[c].emplace(Api().duckdb_string_t_data(s), Api().duckdb_string_t_length(*s));
            continue;
          }
          case DUCKDB_TYPE_BOOLEAN: text = static_cast<bool*>(data)[i] ? "true" : "false"; break;
          case DUCKDB_TYPE_TINYINT: text = IntText(static_cast<int8_t*>(data)[i]); break;
          case DUCKDB_TYPE_SMALLINT: text = IntText(static_cast<int16_t*>(data)[i]); break;
          case DUCKDB_TYPE_INTEGER: text = IntText(static_cast<int32_t*>(data)[i]); break;
          case DUCKDB_TYPE_BIGINT: text = IntText(static_cast<int64_t*>(data)[i]); break;
          case DUCKDB_TYPE_UTINYINT: text = IntText(static_cast<uint8_t*>(data)[i]); break;
          case DUCKDB_TYPE_USMALLINT: text = IntText(static_cast<uint16_t*>(data)[i]); break;
          case DUCKDB_TYPE_UINTEGER: text = IntText(static_cast<uint32_t*>(data)[i]); break;
          case DUCKDB_TYPE_UBIGINT: text = IntText(static_cast<uint64_t*>(data)[i]); break;
          case DUCKDB_TYPE_FLOAT: text = FloatText(static_cast<float*>(data)[i]); break;
          case DUCKDB_TYPE_DOUBLE: text = FloatText(static_cast<double*>(data)[i]); break;
          default: {
            char* converted = Api().duckdb_value_varchar(r, c, base + i);
            if (!converted) {
              Api().duckdb_destroy_data_chunk(&chunk);
              return InvalidArgumentError("column '" + columns[c] +
                                          "' has a type that cannot be printed; cast it to "
                                          "VARCHAR in the query (" +
                                          columns[c] + "::VARCHAR)");
            }
            text = converted;
            Api().duckdb_free(converted);
          }
        }
        cells[c].emplace(text);
      }
      sink.Row(cells);
    }
    Api().duckdb_destroy_data_chunk(&chunk);
    base += size;
  }
  return static_cast<uint64_t>(base);
}

// Collects the rows into a SqlResult.
class Collector : public SqlRowSink {
 public:
  explicit Collector(SqlResult* out) : out_(out) {}
  void Begin(const std::vector<std::string>& columns,
             const std::vector<SqlValueKind>& kinds) override {
    out_->columns = columns;
    out_->kinds = kinds;
  }
  void Row(const std::vector<std::optional<std::string_view>>& cells) override {
    auto& row = out_->rows.emplace_back(cells.size());
    for (size_t c = 0; c < cells.size(); ++c) {
      if (cells[c]) row[c].emplace(*cells[c]);
    }
  }

 private:
  SqlResult* out_;
};

std::string ReadJsonCall(const std::vector<std::string>& files) {
  std::string s = "read_json([";
  for (size_t i = 0; i < files.size(); ++i) {
    if (i) s += ", ";
    s += SqlQuote(files[i]);
  }
  s += "], format = 'newline_delimited', compression = 'gzip', hive_partitioning = false, "
       "ignore_errors = true, columns = {";
  const auto& cols = LogColumns();
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) s += ", ";
    s += SqlQuote(cols[i]) + ": 'VARCHAR'";
  }
  s += "})";
  return s;
}

std::string ColumnList() {
  std::string s;
  for (const auto& c : LogColumns()) {
    if (!s.empty()) s += ", ";
    s += "\"" + c + "\"";
  }
  return s;
}

std::string DayView(const CivilDay& day, const std::vector<std::string>& files) {
  return "SELECT " + ColumnList() + ", CAST(" + std::to_string(day.year) +
         " AS INTEGER) AS \"year\", CAST(" + std::to_string(day.month) +
         " AS INTEGER) AS \"month\", CAST(" + std::to_string(day.day) +
         " AS INTEGER) AS \"day\" FROM " + ReadJsonCall(files);
}

std::string EmptyView() {
  std::string s = "SELECT ";
  for (const auto& c : LogColumns()) s += "CAST(NULL AS VARCHAR) AS \"" + c + "\", ";
  s += "CAST(NULL AS INTEGER) AS \"year\", CAST(NULL AS INTEGER) AS \"month\", "
       "CAST(NULL AS INTEGER) AS \"day\" WHERE false";
  return s;
}

// The time range worth listing for `access`, or nullopt for "everything" (a filter without
// bounded years, or bounds too far apart to walk day by day).
struct DayPlan {
  bool all = false;                      // no day restriction at all
  std::optional<logs::TimeRange> range;  // set: list only this
  bool none = false;                     // no day can match
};

DayPlan PlanDays(const TableAccess& access) {
  DayPlan plan;
  if (access.AllDays()) {
    plan.all = true;
    return plan;
  }
  std::optional<CivilDay> first, last;
  for (const auto& f : access.filters) {
    std::optional<int64_t> ylo = f.years.min(), yhi = f.years.max();
    if (!ylo || !yhi || *yhi - *ylo > 50 || *ylo < 1970 || *yhi > 9999) return plan;
    for (int64_t y = *ylo; y <= *yhi; ++y) {
      if (!f.years.Contains(y)) continue;
      for (int m = 1; m <= 12; ++m) {
        if (!f.months.Contains(m)) continue;
        unsigned last_day = static_cast<unsigned>(std::chrono::year_month_day_last{
            std::chrono::year{static_cast<int>(y)} / std::chrono::month{static_cast<unsigned>(m)} /
            std::chrono::last}
                                                      .day());
        for (int d = 1; d <= static_cast<int>(last_day); ++d) {
          if (!f.days.Contains(d)) continue;
          CivilDay day{static_cast<int>(y), m, d};
          if (!first || day < *first) first = day;
          if (!last || *last < day) last = day;
        }
      }
    }
  }
  if (!first) {
    plan.none = true;
    return plan;
  }
  logs::TimeRange range;
  range.since = StartOfDay(first->year, first->month, first->day);
  range.until = StartOfDay(last->year, last->month, last->day) + std::chrono::hours(24);
  plan.range = range;
  return plan;
}

}  // namespace

const std::vector<std::string>& LogColumns() {
  static const std::vector<std::string> kColumns = {"time",         "log",       "source",
                                                    "container_id", "task_id",   "task_arn",
                                                    "family",       "container", "cluster"};
  return kColumns;
}

// ---- IntervalSet ----

IntervalSet IntervalSet::All() { return Range(kMin, kMax); }

IntervalSet IntervalSet::Range(int64_t lo, int64_t hi) {
  IntervalSet s;
  if (lo <= hi) s.ranges_.emplace_back(lo, hi);
  return s;
}

IntervalSet IntervalSet::Intersect(const IntervalSet& other) const {
  IntervalSet out;
  size_t i = 0, j = 0;
  while (i < ranges_.size() && j < other.ranges_.size()) {
    int64_t lo = std::max(ranges_[i].first, other.ranges_[j].first);
    int64_t hi = std::min(ranges_[i].second, other.ranges_[j].second);
    if (lo <= hi) out.ranges_.emplace_back(lo, hi);
    if (ranges_[i].second < other.ranges_[j].second) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

IntervalSet IntervalSet::Union(const IntervalSet& other) const {
  std::vector<std::pair<int64_t, int64_t>> all = ranges_;
  all.insert(all.end(), other.ranges_.begin(), other.ranges_.end());
  std::sort(all.begin(), all.end());
  IntervalSet out;
  for (const auto& r : all) {
    if (!out.ranges_.empty() &&
        (out.ranges_.back().second == kMax || r.first <= out.ranges_.back().second + 1)) {
      out.ranges_.back().second = std::max(out.ranges_.back().second, r.second);
    } else {
      out.ranges_.push_back(r);
    }
  }
  return out;
}

bool IntervalSet::Contains(int64_t v) const {
  for (const auto& [lo, hi] : ranges_) {
    if (v >= lo && v <= hi) return true;
  }
  return false;
}

bool IntervalSet::is_all() const {
  return ranges_.size() == 1 && ranges_[0].first == kMin && ranges_[0].second == kMax;
}

std::optional<int64_t> IntervalSet::min() const {
  if (ranges_.empty() || ranges_.front().first == kMin) return std::nullopt;
  return ranges_.front().first;
}

std::optional<int64_t> IntervalSet::max() const {
  if (ranges_.empty() || ranges_.back().second == kMax) return std::nullopt;
  return ranges_.back().second;
}

bool TableAccess::AllDays() const {
  if (filters.empty()) return true;
  for (const auto& f : filters) {
    if (f.is_all()) return true;
  }
  return false;
}

bool TableAccess::Matches(int year, int month, int day) const {
  if (filters.empty()) return true;
  for (const auto& f : filters) {
    if (f.Matches(year, month, day)) return true;
  }
  return false;
}

const TableAccess* QueryAnalysis::Find(std::string_view table) const {
  for (const auto& [name, access] : tables) {
    if (name == table) return &access;
  }
  return nullptr;
}

// ---- SqlSession ----

struct SqlSession::Impl {
  duckdb_database db = nullptr;
  duckdb_connection conn = nullptr;
  ~Impl() {
    if (conn) Api().duckdb_disconnect(&conn);
    if (db) Api().duckdb_close(&db);
  }

  Result<uint64_t> Exec(std::string_view sql, SqlRowSink& sink) {
    std::string text(sql);
    duckdb_result r;
    if (Api().duckdb_query(conn, text.c_str(), &r) == DuckDBError) {
      const char* err = Api().duckdb_result_error(&r);
      std::string message = err ? err : "query failed";
      Api().duckdb_destroy_result(&r);
      return InvalidArgumentError(message);
    }
    Result<uint64_t> rows = Emit(&r, sink);
    Api().duckdb_destroy_result(&r);
    return rows;
  }

  Result<SqlResult> Exec(std::string_view sql) {
    SqlResult out;
    Collector collector(&out);
    RETURN_IF_ERROR(Exec(sql, collector).status());
    return out;
  }
};

SqlSession::SqlSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqlSession::~SqlSession() = default;

Result<std::unique_ptr<SqlSession>> SqlSession::Open(const SqlOptions& options) {
  RETURN_IF_ERROR(LoadDuckDb());
  auto impl = std::make_unique<Impl>();
  duckdb_config config;
  if (Api().duckdb_create_config(&config) == DuckDBError) {
    return InternalError("duckdb: cannot create a configuration");
  }
  std::vector<std::pair<std::string, std::string>> settings = {
      {"autoinstall_known_extensions", "false"}, {"autoload_known_extensions", "false"}};
  if (options.threads > 0) settings.emplace_back("threads", std::to_string(options.threads));
  if (!options.memory_limit.empty()) settings.emplace_back("memory_limit", options.memory_limit);
  for (const auto& [k, v] : settings) {
    if (Api().duckdb_set_config(config, k.c_str(), v.c_str()) == DuckDBError) {
      Api().duckdb_destroy_config(&config);
      return InvalidArgumentError("duckdb: bad setting " + k + "=" + v);
    }
  }
  char* error = nullptr;
  if (Api().duckdb_open_ext(nullptr, &impl->db, config, &error) == DuckDBError) {
    std::string message = error ? error : "unknown error";
    if (error) Api().duckdb_free(error);
    Api().duckdb_destroy_config(&config);
    return InternalError("duckdb: cannot open an in-memory database: " + message);
  }
  Api().duckdb_destroy_config(&config);
  if (Api().duckdb_connect(impl->db, &impl->conn) == DuckDBError) {
    return InternalError("duckdb: cannot connect");
  }
  return std::unique_ptr<SqlSession>(new SqlSession(std::move(impl)));
}

Result<SqlResult> SqlSession::Query(std::string_view sql) { return impl_->Exec(sql); }

Result<QueryAnalysis> SqlSession::Analyze(std::string_view sql,
                                          const std::set<std::string>& tables) {
  QueryAnalysis analysis;
  Result<SqlResult> serialized = impl_->Exec("SELECT json_serialize_sql(" + SqlQuote(sql) + ")");
  std::optional<json> tree;
  if (serialized.ok() && serialized->rows.size() == 1 && serialized->rows[0].size() == 1 &&
      serialized->rows[0][0]) {
    json j = json::parse(*serialized->rows[0][0], nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && j.is_object() && !Bool(j, "error", true) && j.contains("statements")) {
      tree = std::move(j);
    }
  }
  if (tree) {
    analysis.parsed = true;
    TreeWalker walker(tables);
    walker.Visit((*tree)["statements"]);
    analysis.tables = walker.Finish();
    return analysis;
  }
  for (const auto& id : ScanIdentifiers(sql)) {
    if (tables.count(id)) analysis.tables.emplace_back(id, TableAccess{});
  }
  return analysis;
}

Result<SqlResult> SqlSession::Run(LogStore& store, std::string_view sql, SqlRunInfo* info) {
  SqlResult out;
  Collector collector(&out);
  RETURN_IF_ERROR(Run(store, sql, collector, info).status());
  return out;
}

Result<uint64_t> SqlSession::Run(LogStore& store, std::string_view sql, SqlRowSink& sink,
                                 SqlRunInfo* info) {
  ASSIGN_OR_RETURN(std::vector<Stream> streams, store.ListStreams());
  std::map<std::string, std::vector<Stream>> by_table;
  for (const auto& s : streams) by_table[logs::TableName(s.family, s.container)].push_back(s);
  std::set<std::string> names;
  for (const auto& [name, _] : by_table) names.insert(name);

  ASSIGN_OR_RETURN(QueryAnalysis analysis, Analyze(sql, names));
  if (analysis.tables.empty()) {
    if (names.empty()) {
      return InvalidArgumentError(
          "the query references no log table, and the store has none (no "
          "objects under service prefix '" +
          store.options().service_prefix + "')");
    }
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    return InvalidArgumentError("the query references no log table; tables: " + list);
  }

  SqlRunInfo local_info;
  SqlRunInfo& run = info ? *info : local_info;
  run.tables.clear();
  for (const auto& [name, access] : analysis.tables) {
    DayPlan plan = PlanDays(access);
    SqlRunInfo::Table t;
    t.name = name;
    t.pruned = !plan.all;
    std::map<CivilDay, std::vector<SelectedObject>> days;
    if (!plan.none) {
      for (const auto& stream : by_table[name]) {
        Selection sel;
        sel.family = stream.family;
        sel.container = stream.container;
        if (plan.range) sel.range = *plan.range;
        ASSIGN_OR_RETURN(std::vector<SelectedObject> objects, store.Select(sel));
        for (auto& o : objects) {
          // Select keeps every container of the family when `container` is empty; guard.
          if (o.container != stream.container) continue;
          CivilDay d = DayOfMinute(o.minute);
          if (!plan.all && !access.Matches(d.year, d.month, d.day)) continue;
          days[d].push_back(std::move(o));
        }
      }
    }
    std::vector<SelectedObject> all;
    for (const auto& [d, objects] : days) all.insert(all.end(), objects.begin(), objects.end());
    if (!store.is_local() && !all.empty()) RETURN_IF_ERROR(store.Prefetch(all));
    std::string view;
    for (const auto& [d, objects] : days) {
      std::vector<std::string> files;
      for (const auto& o : objects) {
        ASSIGN_OR_RETURN(std::string path, store.LocalPath(o));
        files.push_back(std::move(path));
        t.bytes += o.size;
      }
      t.objects += objects.size();
      ++t.days;
      if (!view.empty()) view += " UNION ALL ";
      view += DayView(d, files);
    }
    if (view.empty()) view = EmptyView();
    Result<SqlResult> created =
        impl_->Exec("CREATE OR REPLACE TEMP VIEW \"" + name + "\" AS " + view);
    if (!created.ok()) return created.status().WithContext("creating the view of " + name);
    run.tables.push_back(std::move(t));
  }
  run.analysis = std::move(analysis);
  return impl_->Exec(sql, sink);
}

// ---- Output ----

std::string SqlQuote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

namespace {

size_t DisplayWidth(std::string_view s) {
  size_t w = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++w;
  }
  return w;
}

// One line per cell: control characters become escapes; cut at `max_width` with "…".
std::string TableCell(const std::optional<std::string>& v, size_t max_width) {
  if (!v) return "NULL";
  std::string out;
  for (char c : *v) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  if (max_width > 1 && DisplayWidth(out) > max_width) {
    size_t w = 0, i = 0;
    for (; i < out.size(); ++i) {
      if ((static_cast<unsigned char>(out[i]) & 0xC0) != 0x80) {
        if (w == max_width - 1) break;
        ++w;
      }
    }
    out.resize(i);
    out += "\xE2\x80\xA6";  // …
  }
  return out;
}

// Appends `s` as a JSON string: runs of plain characters in one append.
void JsonString(std::string_view s, std::string* out) {
  *out += '"';
  size_t plain = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        *out += buf;
      }
    }
  }
  out->append(s.data() + plain, s.size() - plain);
  *out += '"';
}

bool IsJsonNumber(std::string_view s) {
  json j = json::parse(s, nullptr, false);
  return !j.is_discarded() && j.is_number();
}

bool NeedsCsvQuotes(std::string_view s) {
  for (char c : s) {
    if (c == ',' || c == '"' || c == '\r' || c == '\n') return true;
  }
  return false;
}

void CsvField(std::string_view s, std::string* out) {
  if (!NeedsCsvQuotes(s)) {
    *out += s;
    return;
  }
  *out += '"';
  for (char c : s) {
    if (c == '"') *out += '"';
    *out += c;
  }
  *out += '"';
}

}  // namespace

std::string FormatSqlTable(const SqlResult& result, size_t max_width) {
  size_t n = result.columns.size();
  std::vector<size_t> width(n);
  std::vector<std::vector<std::string>> cells;
  cells.reserve(result.rows.size());
  for (size_t c = 0; c < n; ++c) width[c] = DisplayWidth(result.columns[c]);
  for (const auto& row : result.rows) {
    std::vector<std::string> line;
    for (size_t c = 0; c < n; ++c) {
      line.push_back(TableCell(row[c], max_width));
      width[c] = std::max(width[c], DisplayWidth(line.back()));
    }
    cells.push_back(std::move(line));
  }
  std::string out;
  auto emit = [&](const std::vector<std::string>& line, bool header) {
    for (size_t c = 0; c < n; ++c) {
      if (c) out += " | ";
      size_t pad = width[c] - DisplayWidth(line[c]);
      bool right = !header && result.kinds[c] == SqlValueKind::kNumber;
      if (right) out.append(pad, ' ');
      out += line[c];
      if (!right && c + 1 < n) out.append(pad, ' ');
    }
    out += '\n';
  };
  emit(result.columns, true);
  for (size_t c = 0; c < n; ++c) {
    if (c) out += "-+-";
    out.append(width[c], '-');
  }
  out += '\n';
  for (const auto& line : cells) emit(line, false);
  out +=
      "(" + std::to_string(result.rows.size()) + (result.rows.size() == 1 ? " row)\n" : " rows)\n");
  return out;
}

SqlTextWriter::SqlTextWriter(Format format, std::function<void(std::string_view)> flush)
    : format_(format), flush_(std::move(flush)) {}

void SqlTextWriter::Begin(const std::vector<std::string>& columns,
                          const std::vector<SqlValueKind>& kinds) {
  columns_ = columns;
  kinds_ = kinds;
  if (format_ != Format::kCsv) return;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (c) buffer_ += ',';
    CsvField(columns[c], &buffer_);
  }
  buffer_ += '\n';
}

void SqlTextWriter::Row(const std::vector<std::optional<std::string_view>>& cells) {
  if (format_ == Format::kCsv) {
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c) buffer_ += ',';
      if (cells[c]) CsvField(*cells[c], &buffer_);
    }
    buffer_ += '\n';
  } else {
    buffer_ += '{';
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c) buffer_ += ',';
      JsonString(columns_[c], &buffer_);
      buffer_ += ':';
      if (!cells[c]) {
        buffer_ += "null";
      } else if (kinds_[c] == SqlValueKind::kBool ||
                 (kinds_[c] == SqlValueKind::kNumber && IsJsonNumber(*cells[c]))) {
        buffer_ += *cells[c];
      } else {
        JsonString(*cells[c], &buffer_);
      }
    }
    buffer_ += "}\n";
  }
  if (buffer_.size() >= kFlushBytes && flush_) {
    flush_(buffer_);
    buffer_.clear();
  }
}

void SqlTextWriter::Finish() {
  if (flush_ && !buffer_.empty()) {
    flush_(buffer_);
    buffer_.clear();
  }
}

namespace {

std::string FormatText(const SqlResult& result, SqlTextWriter::Format format) {
  SqlTextWriter writer(format);
  writer.Begin(result.columns, result.kinds);
  std::vector<std::optional<std::string_view>> cells;
  for (const auto& row : result.rows) {
    cells.assign(row.begin(), row.end());
    writer.Row(cells);
  }
  return std::move(writer.text());
}

}  // namespace

std::string FormatSqlCsv(const SqlResult& result) {
  return FormatText(result, SqlTextWriter::Format::kCsv);
}

std::string FormatSqlJsonLines(const SqlResult& result) {
  return FormatText(result, SqlTextWriter::Format::kJsonLines);
}

}  // namespace steady::search
