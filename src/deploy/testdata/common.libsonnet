// Shared pieces for the test definitions, as a team would keep them.
{
  cluster: 'web-cluster',
  registry:: 'registry.example.com',
  image(name, tag):: self.registry + '/' + name + ':' + tag,
}
