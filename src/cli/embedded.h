// Files compiled into the binary so that `steady up` needs nothing beside it.
#pragma once

namespace steady::cli {

// examples/local-setup.yaml
extern const char* const kLocalSetupYaml;
// examples/fleet-sample.yaml
extern const char* const kFleetSampleYaml;
// examples/apps/: the sample apps `steady up` deploys and runs (written out to VAR/apps/).
extern const char* const kSampleAppsLibsonnet;  // sample.libsonnet
extern const char* const kSampleWebJsonnet;     // web.jsonnet
extern const char* const kSampleBatchJsonnet;   // batch.jsonnet

}  // namespace steady::cli
