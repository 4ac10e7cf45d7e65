// Files compiled into the binary so that `steady up` needs nothing beside it.
#pragma once

namespace steady::cli {

// examples/local-setup.yaml
extern const char* const kLocalSetupYaml;

}  // namespace steady::cli
