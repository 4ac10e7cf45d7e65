// The sample batch job `steady up` runs with `steady oneshot` every few seconds. When the
// cluster has no room, oneshot tells the autoscaler (capacity group steady-sample-spot) and
// retries. In the local region a container "runs" for STEADY_RUN_SECONDS and exits with
// STEADY_EXIT_CODE.
local sample = import 'sample.libsonnet';
{
  scheduler: {
    type: 'oneshot',
    cluster: sample.cluster,
    group_name: 'steady-sample-spot',
  },
  app: {
    name: 'job',
    image: sample.image('batch'),
    cpu: 128,
    memory: 256,
    command: ['report', '--since', '1h'],
    env: { STEADY_RUN_SECONDS: '45', STEADY_EXIT_CODE: '0' },
  },
}
