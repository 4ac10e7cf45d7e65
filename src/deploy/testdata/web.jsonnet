local common = import 'common.libsonnet';
local env = std.extVar('env');
{
  scheduler: {
    type: 'ecs',
    cluster: common.cluster,
    desired_count: if env == 'production' then 4 else 1,
    target_group_arn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef',
    container_port: 8080,
    placement_strategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
    deployment: { minimum_healthy_percent: 50 },
    group_name: 'web-group',
  },
  app: {
    image: common.image(std.extVar('appId'), std.extVar('tag')),
    cpu: 256,
    memory: 512,
    memory_reservation: 256,
    command: ['bundle', 'exec', 'puma'],
    env: { RACK_ENV: env, PORT: '8080' },
    port_mappings: [{ container_port: 8080 }],
    secrets: [
      { name: 'DATABASE_URL', value_from: 'arn:aws:ssm:us-east-1:000000000000:parameter/web/database_url' },
      { name: 'API_KEY', value_from: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:web/api-key-AbCdEf' },
    ],
  },
  sidecars: [
    { name: 'nginx', image: 'nginx:1.25', memory: 64, port_mappings: [{ container_port: 80, host_port: 0 }] },
  ],
}
