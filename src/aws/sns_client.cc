#include "aws/sns_client.h"

#include "aws/protocol_query.h"
#include "aws/protocol_xml.h"
#include "base/base64.h"

namespace steady::aws {

namespace {

constexpr std::string_view kVersion = "2010-03-31";

Status Malformed(std::string_view op, std::string_view what) {
  return DataLossError(std::string(op) + ": unexpected response shape: " + std::string(what));
}

// Sends `params` and returns the <ActionResult> element of the <ActionResponse> document (an
// empty element when the action answers nothing). Another document → kDataLoss.
Result<XmlElement> Call(AwsTransport& transport, const QueryParams& params,
                        bool want_result = true) {
  const std::string& op = params.action();
  ASSIGN_OR_RETURN(net::HttpResponse resp, transport.Send(op, params.ToRequest()));
  if (!want_result) return XmlElement{};
  Result<XmlElement> root = ParseXml(resp.body);
  if (!root.ok()) return root.status().WithContext(op);
  if (root->name != op + "Response")
    return Malformed(op, "root element <" + root->name + ">, expected <" + op + "Response>");
  const XmlElement* result = root->Child(op + "Result");
  if (!result) return Malformed(op, "no <" + op + "Result>");
  return *result;
}

// The text of a member the answer must carry; kDataLoss when it is absent or empty.
Result<std::string> RequiredText(std::string_view op, const XmlElement& parent,
                                 std::string_view name) {
  const XmlElement* e = parent.Child(name);
  if (!e || e->text.empty()) return Malformed(op, "no " + std::string(name));
  return e->text;
}

// <Attributes><entry><key>k</key><value>v</value></entry>...</Attributes>
Result<std::map<std::string, std::string>> AttributeMap(std::string_view op,
                                                        const XmlElement& result) {
  std::map<std::string, std::string> out;
  for (const XmlElement* entry : result.List("Attributes", "entry")) {
    const XmlElement* key = entry->Child("key");
    if (!key) return Malformed(op, "an Attributes entry without a key");
    out[key->text] = entry->ChildText("value");
  }
  return out;
}

void AddAttributes(QueryParams& p, const std::map<std::string, std::string>& attrs,
                   std::string_view skip = "") {
  std::vector<QueryParams::Param> entries;
  for (const auto& [k, v] : attrs)
    if (k != skip) entries.emplace_back(k, v);
  p.AddMap("Attributes", entries);
}

Result<ListSubscriptionsResult> Subscriptions(std::string_view op, const XmlElement& result) {
  ListSubscriptionsResult out;
  for (const XmlElement* m : result.List("Subscriptions")) {
    SnsSubscription s;
    ASSIGN_OR_RETURN(s.subscription_arn, RequiredText(op, *m, "SubscriptionArn"));
    s.owner = m->ChildText("Owner");
    s.protocol = m->ChildText("Protocol");
    s.endpoint = m->ChildText("Endpoint");
    s.topic_arn = m->ChildText("TopicArn");
    out.subscriptions.push_back(std::move(s));
  }
  out.next_token = result.ChildText("NextToken");
  return out;
}

}  // namespace

ServiceInfo SnsService() { return {"SNS", "sns", "sns", Protocol::kQuery}; }

Result<std::string> SnsClient::CreateTopic(const CreateTopicRequest& request) {
  QueryParams p("CreateTopic", kVersion);
  p.Add("Name", request.name);
  AddAttributes(p, request.attributes, "DataProtectionPolicy");
  for (size_t i = 0; i < request.tags.size(); ++i) {
    std::string t = QueryParams::ListKey("Tags", i + 1, QueryListStyle::kMember);
    p.Add(t + ".Key", request.tags[i].key).Add(t + ".Value", request.tags[i].value);
  }
  if (auto it = request.attributes.find("DataProtectionPolicy"); it != request.attributes.end())
    p.Add("DataProtectionPolicy", it->second);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  return RequiredText(p.action(), r, "TopicArn");
}

Result<ListTopicsResult> SnsClient::ListTopics(const std::string& next_token) {
  QueryParams p("ListTopics", kVersion);
  if (!next_token.empty()) p.Add("NextToken", next_token);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  ListTopicsResult out;
  for (const XmlElement* m : r.List("Topics")) {
    ASSIGN_OR_RETURN(std::string arn, RequiredText(p.action(), *m, "TopicArn"));
    out.topic_arns.push_back(std::move(arn));
  }
  out.next_token = r.ChildText("NextToken");
  return out;
}

Result<std::map<std::string, std::string>> SnsClient::GetTopicAttributes(
    const std::string& topic_arn) {
  QueryParams p("GetTopicAttributes", kVersion);
  p.Add("TopicArn", topic_arn);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  return AttributeMap(p.action(), r);
}

Status SnsClient::SetTopicAttributes(const std::string& topic_arn, const std::string& name,
                                     const std::string& value) {
  QueryParams p("SetTopicAttributes", kVersion);
  // The value is sent even when empty: an empty value clears an attribute.
  p.Add("TopicArn", topic_arn).Add("AttributeName", name).Add("AttributeValue", value);
  return Call(transport_, p, /*want_result=*/false).status();
}

Status SnsClient::DeleteTopic(const std::string& topic_arn) {
  QueryParams p("DeleteTopic", kVersion);
  p.Add("TopicArn", topic_arn);
  return Call(transport_, p, /*want_result=*/false).status();
}

Result<std::string> SnsClient::Subscribe(const SubscribeRequest& request) {
  QueryParams p("Subscribe", kVersion);
  p.Add("TopicArn", request.topic_arn).Add("Protocol", request.protocol);
  if (!request.endpoint.empty()) p.Add("Endpoint", request.endpoint);
  AddAttributes(p, request.attributes);
  if (request.return_subscription_arn) p.AddBool("ReturnSubscriptionArn", true);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  return RequiredText(p.action(), r, "SubscriptionArn");
}

Status SnsClient::Unsubscribe(const std::string& subscription_arn) {
  QueryParams p("Unsubscribe", kVersion);
  p.Add("SubscriptionArn", subscription_arn);
  return Call(transport_, p, /*want_result=*/false).status();
}

Result<ListSubscriptionsResult> SnsClient::ListSubscriptions(const std::string& next_token) {
  QueryParams p("ListSubscriptions", kVersion);
  if (!next_token.empty()) p.Add("NextToken", next_token);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  return Subscriptions(p.action(), r);
}

Result<ListSubscriptionsResult> SnsClient::ListSubscriptionsByTopic(const std::string& topic_arn,
                                                                    const std::string& next_token) {
  QueryParams p("ListSubscriptionsByTopic", kVersion);
  p.Add("TopicArn", topic_arn);
  if (!next_token.empty()) p.Add("NextToken", next_token);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  return Subscriptions(p.action(), r);
}

Result<std::map<std::string, std::string>> SnsClient::GetSubscriptionAttributes(
    const std::string& subscription_arn) {
  QueryParams p("GetSubscriptionAttributes", kVersion);
  p.Add("SubscriptionArn", subscription_arn);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  return AttributeMap(p.action(), r);
}

Status SnsClient::SetSubscriptionAttributes(const std::string& subscription_arn,
                                            const std::string& name, const std::string& value) {
  QueryParams p("SetSubscriptionAttributes", kVersion);
  p.Add("SubscriptionArn", subscription_arn)
      .Add("AttributeName", name)
      .Add("AttributeValue", value);
  return Call(transport_, p, /*want_result=*/false).status();
}

Result<PublishResult> SnsClient::Publish(const PublishRequest& request) {
  QueryParams p("Publish", kVersion);
  if (!request.topic_arn.empty()) p.Add("TopicArn", request.topic_arn);
  if (!request.target_arn.empty()) p.Add("TargetArn", request.target_arn);
  p.Add("Message", request.message);
  if (!request.subject.empty()) p.Add("Subject", request.subject);
  if (!request.message_structure.empty()) p.Add("MessageStructure", request.message_structure);
  // MessageAttributes.entry.N.Name / .Value.DataType / .Value.StringValue|BinaryValue: a map
  // whose key and value members are named Name and Value (botocore's SNS model).
  size_t n = 0;
  for (const auto& [name, v] : request.message_attributes) {
    std::string e = QueryParams::MapEntryKey("MessageAttributes", ++n);
    p.Add(e + ".Name", name).Add(e + ".Value.DataType", v.data_type);
    if (v.data_type.starts_with("Binary"))
      p.Add(e + ".Value.BinaryValue", Base64Encode(v.binary_value));
    else
      p.Add(e + ".Value.StringValue", v.string_value);
  }
  if (!request.message_deduplication_id.empty())
    p.Add("MessageDeduplicationId", request.message_deduplication_id);
  if (!request.message_group_id.empty()) p.Add("MessageGroupId", request.message_group_id);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  PublishResult out;
  ASSIGN_OR_RETURN(out.message_id, RequiredText(p.action(), r, "MessageId"));
  out.sequence_number = r.ChildText("SequenceNumber");
  return out;
}

}  // namespace steady::aws
