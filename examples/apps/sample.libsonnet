// What the sample apps share: the cluster `steady up` brings up and the image registry.
{
  cluster: 'steady-sample',
  image(name, tag='latest'):: 'steady/sample-' + name + ':' + tag,
}
