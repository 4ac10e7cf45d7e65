// duckdb_raw: the "raw DuckDB" side of bench/logs.sh. Runs SQL statements on an in-memory
// DuckDB through the same libduckdb.so that `steady logs sql` embeds, with nothing of steady in
// between, and prints each statement's wall time and row count on stderr (and, with --print,
// its rows on stdout, tab-separated; VARCHAR, BIGINT, INTEGER and
// DOUBLE columns, '?' for other types).
//
//   duckdb_raw [--threads N] [--print] "SELECT ... FROM read_json('dir/**/*.gz', columns={...})"
#include <duckdb.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  bool print = false;
  std::string threads;
  int first = 1;
  for (; first < argc; ++first) {
    if (std::strcmp(argv[first], "--print") == 0) {
      print = true;
    } else if (std::strcmp(argv[first], "--threads") == 0 && first + 1 < argc) {
      threads = argv[++first];
    } else {
      break;
    }
  }
  if (first >= argc) {
    std::fprintf(stderr, "usage: duckdb_raw [--threads N] [--print] SQL...\n");
    return 2;
  }
  duckdb_config config;
  duckdb_create_config(&config);
  duckdb_set_config(config, "autoinstall_known_extensions", "false");
  duckdb_set_config(config, "autoload_known_extensions", "false");
  if (!threads.empty()) duckdb_set_config(config, "threads", threads.c_str());
  duckdb_database db;
  char* error = nullptr;
  if (duckdb_open_ext(nullptr, &db, config, &error) == DuckDBError) {
    std::fprintf(stderr, "duckdb_raw: open: %s\n", error ? error : "?");
    return 1;
  }
  duckdb_destroy_config(&config);
  duckdb_connection conn;
  duckdb_connect(db, &conn);
  int rc = 0;
  for (int i = first; i < argc; ++i) {
    auto start = std::chrono::steady_clock::now();
    duckdb_result r;
    if (duckdb_query(conn, argv[i], &r) == DuckDBError) {
      std::fprintf(stderr, "duckdb_raw: %s\n", duckdb_result_error(&r));
      duckdb_destroy_result(&r);
      rc = 2;
      break;
    }
    // Touch every cell, as a client printing the result would.
    idx_t rows = 0, cols = duckdb_column_count(&r);
    uint64_t bytes = 0;
    for (;;) {
      duckdb_data_chunk chunk = duckdb_fetch_chunk(r);
      if (!chunk) break;
      idx_t n = duckdb_data_chunk_get_size(chunk);
      for (idx_t k = 0; k < n; ++k) {
        for (idx_t c = 0; c < cols; ++c) {
          duckdb_vector vec = duckdb_data_chunk_get_vector(chunk, c);
          uint64_t* validity = duckdb_vector_get_validity(vec);
          void* data = duckdb_vector_get_data(vec);
          bool valid = !validity || duckdb_validity_row_is_valid(validity, k);
          std::string text;
          switch (duckdb_column_type(&r, c)) {
            case DUCKDB_TYPE_VARCHAR: {
              auto* s = static_cast<duckdb_string_t*>(data) + k;
              uint32_t len = valid ? duckdb_string_t_length(*s) : 0;
              bytes += len;
              if (print && valid) text.assign(duckdb_string_t_data(s), len);
              break;
            }
            case DUCKDB_TYPE_BIGINT:
              if (valid) text = std::to_string(static_cast<int64_t*>(data)[k]);
              break;
            case DUCKDB_TYPE_INTEGER:
              if (valid) text = std::to_string(static_cast<int32_t*>(data)[k]);
              break;
            case DUCKDB_TYPE_DOUBLE:
              if (valid) text = std::to_string(static_cast<double*>(data)[k]);
              break;
            default: text = "?";
          }
          if (print) {
            std::fwrite(text.data(), 1, text.size(), stdout);
            std::fputc(c + 1 < cols ? '\t' : '\n', stdout);
          }
        }
      }
      rows += n;
      duckdb_destroy_data_chunk(&chunk);
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "duckdb_raw: %.3f s, %llu rows, %llu text bytes\n", secs,
                 static_cast<unsigned long long>(rows), static_cast<unsigned long long>(bytes));
    duckdb_destroy_result(&r);
  }
  duckdb_disconnect(&conn);
  duckdb_close(&db);
  return rc;
}
