// Parameters of AWS query-protocol requests (Auto Scaling, ELBv2) as the fronts read them: a
// missing required one is refused with the services' ValidationError, thrown as BadRequest
// inside the front and turned into the error response at its edge.
#pragma once

#include <string>

#include "region/front.h"
#include "region/wire.h"

namespace steady::region::query_params {

struct BadRequest {
  WireError error;
};

inline std::string Optional(const FormParams& form, const std::string& name) {
  auto it = form.find(name);
  return it == form.end() ? "" : it->second;
}

inline std::string Required(const FormParams& form, const std::string& name) {
  std::string v = Optional(form, name);
  if (v.empty())
    throw BadRequest{{400, "ValidationError",
                      "1 validation error detected: Value null at '" + name +
                          "' failed to satisfy constraint: Member must not be null",
                      true}};
  return v;
}

}  // namespace steady::region::query_params
