// Files compiled into the binary so that `steady up` needs nothing beside it.
#pragma once

namespace steady::cli {

// examples/local-setup.yaml
extern const char* const kLocalSetupYaml;
// examples/fleet-sample.yaml
extern const char* const kFleetSampleYaml;

}  // namespace steady::cli
