#include "cli/aws_clients.h"

#include "aws/autoscaling_client.h"
#include "aws/aws_context.h"
#include "aws/cloudwatch_client.h"
#include "aws/ec2_client.h"
#include "aws/ecs_client.h"
#include "aws/elbv2_client.h"
#include "aws/sns_client.h"
#include "aws/sqs_client.h"

namespace steady::cli {

AwsClients::AwsClients() = default;
AwsClients::AwsClients(AwsClients&&) noexcept = default;
AwsClients::~AwsClients() = default;

std::string AwsClients::Describe() const { return context ? context->Describe() : "none"; }

Result<AwsClients> OpenAwsClients(Clock& clock, MetricsRegistry& metrics,
                                  const std::string& endpoint_url) {
  AwsClients c;
  aws::AwsSettings settings;
  settings.endpoint_url = endpoint_url;
  ASSIGN_OR_RETURN(c.context,
                   aws::AwsContext::Create(settings, ProcessEnvironment::Get(), clock, metrics));
  ASSIGN_OR_RETURN(aws::AwsTransport * ecs, c.context->Transport(aws::EcsServiceInfo()));
  ASSIGN_OR_RETURN(aws::AwsTransport * ec2, c.context->Transport(aws::Ec2Service()));
  ASSIGN_OR_RETURN(aws::AwsTransport * asg, c.context->Transport(aws::AutoScalingService()));
  ASSIGN_OR_RETURN(aws::AwsTransport * elb, c.context->Transport(aws::Elbv2Service()));
  ASSIGN_OR_RETURN(aws::AwsTransport * sqs, c.context->Transport(aws::SqsService()));
  ASSIGN_OR_RETURN(aws::AwsTransport * sns, c.context->Transport(aws::SnsService()));
  ASSIGN_OR_RETURN(aws::AwsTransport * cw, c.context->Transport(aws::CloudWatchService()));
  c.ecs = std::make_unique<aws::EcsClient>(*ecs);
  c.ec2 = std::make_unique<aws::Ec2Client>(*ec2);
  c.autoscaling = std::make_unique<aws::AutoScalingClient>(*asg);
  c.elbv2 = std::make_unique<aws::Elbv2Client>(*elb);
  c.sqs = std::make_unique<aws::SqsClient>(*sqs);
  c.sns = std::make_unique<aws::SnsClient>(*sns);
  c.cloudwatch = std::make_unique<aws::CloudWatchClient>(*cw);
  return c;
}

Result<std::string> QueueUrl(aws::Sqs& sqs, const std::string& name_or_url) {
  if (name_or_url.rfind("http://", 0) == 0 || name_or_url.rfind("https://", 0) == 0)
    return name_or_url;
  auto url = sqs.GetQueueUrl(name_or_url);
  if (!url.ok()) return url.status().WithContext("queue " + name_or_url);
  return url;
}

// A topic given by name or ARN, as an ARN.
Result<std::string> TopicArn(aws::Sns& sns, const std::string& name_or_arn) {
  if (name_or_arn.rfind("arn:", 0) == 0) return name_or_arn;
  std::string token;
  do {
    ASSIGN_OR_RETURN(auto page, sns.ListTopics(token));
    for (const auto& arn : page.topic_arns)
      if (arn.size() > name_or_arn.size() && arn.compare(arn.size() - name_or_arn.size() - 1,
                                                         std::string::npos, ":" + name_or_arn) == 0)
        return arn;
    token = page.next_token;
  } while (!token.empty());
  return NotFoundError("no SNS topic " + name_or_arn);
}

}  // namespace steady::cli
