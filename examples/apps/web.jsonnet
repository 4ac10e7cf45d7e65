// The sample web service `steady up` deploys: four tasks spread over zones and instances,
// behind the target group "web" (by name; target_group_arn takes an ARN).
local sample = import 'sample.libsonnet';
{
  scheduler: {
    cluster: sample.cluster,
    desired_count: 4,
    target_group: 'web',
    container_port: 8080,
    placement_strategy: [
      { type: 'spread', field: 'attribute:ecs.availability-zone' },
      { type: 'spread', field: 'instanceId' },
    ],
    deployment: { minimum_healthy_percent: 100, maximum_percent: 200 },
  },
  app: {
    image: sample.image('web'),
    cpu: 256,
    memory: 512,
    port_mappings: [{ container_port: 8080 }],
    env: { PORT: '8080' },
  },
}
