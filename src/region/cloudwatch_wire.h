// The request and response encodings CloudWatch's three protocols need beyond what wire.h has:
// smithy RPC v2 CBOR (botocore ≥ 1.40 picks it first), the awsQuery form turned into the same
// document tree the JSON protocols carry, and gzip request bodies (PutMetricData is modeled
// with request compression, so botocore gzips large bodies).
//
// The document tree is nlohmann::json shaped like the awsJson 1.0 request/response: timestamps
// are epoch seconds (numbers). Encoders put them in each wire's form.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <set>
#include <string>
#include <string_view>

#include "base/status.h"
#include "region/wire.h"

namespace steady::region {

// Decodes an RPC v2 CBOR body (empty → {}). Tags are dropped, so a tag-1 timestamp reads as
// its epoch-seconds number. kInvalidArgument on malformed CBOR or a top level that is not a map.
Result<nlohmann::json> DecodeRpcV2Cbor(std::string_view body);

// Encodes `value` as CBOR (definite lengths, doubles as 64-bit floats). Members whose name is
// in `timestamp_members` hold epoch seconds (a number, or a list of numbers) and are written
// with tag 1, as smithy RPC v2 CBOR requires.
std::string EncodeRpcV2Cbor(const nlohmann::json& value,
                            const std::set<std::string, std::less<>>& timestamp_members);

// The awsQuery form as a document tree: "A.member.2.B=x" → {"A": [.., {"B": "x"}]} (lists in
// index order), "M.entry.1.key/value" → {"M": {key: value}}, nested "A.B" → {"A": {"B": ..}}.
// Leaves stay strings; Action and Version are left out. kInvalidArgument for a key that is
// both a leaf and a parent, or a list index that is not a positive number.
Result<nlohmann::json> QueryFormToJson(const FormParams& form);

// Inflates a gzip (or zlib) body. kInvalidArgument if it is malformed; kResourceExhausted if it
// inflates beyond `max_bytes`.
Result<std::string> Gunzip(std::string_view data, size_t max_bytes);

}  // namespace steady::region
