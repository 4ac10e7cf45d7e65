#include "region/sns_front.h"

#include <functional>
#include <map>

#include "base/base64.h"
#include "region/service_error.h"
#include "region/wire.h"

namespace steady::region {

namespace {

constexpr std::string_view kXmlns = "http://sns.amazonaws.com/doc/2010-03-31/";

const char* const kActions[] = {"CreateTopic",
                                "ListTopics",
                                "GetTopicAttributes",
                                "SetTopicAttributes",
                                "DeleteTopic",
                                "Subscribe",
                                "Unsubscribe",
                                "ListSubscriptions",
                                "ListSubscriptionsByTopic",
                                "GetSubscriptionAttributes",
                                "SetSubscriptionAttributes",
                                "Publish"};

// SNS's error codes carry their own HTTP statuses (botocore's model); the model's Statuses only
// keep the code, so the front puts the status back.
int HttpStatusFor(const std::string& code, int fallback) {
  static const std::map<std::string, int> kStatuses = {{"NotFound", 404},
                                                       {"ResourceNotFound", 404},
                                                       {"AuthorizationError", 403},
                                                       {"InvalidSecurity", 403},
                                                       {"SubscriptionLimitExceeded", 403},
                                                       {"TopicLimitExceeded", 403},
                                                       {"FilterPolicyLimitExceeded", 403},
                                                       {"InternalError", 500},
                                                       {"Throttled", 429}};
  auto it = kStatuses.find(code);
  return it == kStatuses.end() ? fallback : it->second;
}

struct BadRequest {
  WireError error;
};

std::string Required(const FormParams& form, const std::string& name) {
  auto it = form.find(name);
  if (it == form.end() || it->second.empty())
    throw BadRequest{{400, "InvalidParameter",
                      "Invalid parameter: " + name + " Reason: no value for required parameter",
                      true}};
  return it->second;
}

std::string Optional(const FormParams& form, const std::string& name) {
  auto it = form.find(name);
  return it == form.end() ? "" : it->second;
}

// "Attributes.entry.N.key" / ".value" → map.
std::map<std::string, std::string> AttributeMap(const FormParams& form, const std::string& name) {
  std::map<std::string, std::string> out;
  for (const auto& [n, sub] : FormList(form, name + ".entry")) {
    auto key = sub.find("key");
    if (key == sub.end())
      throw BadRequest{
          {400, "InvalidParameter",
           "Invalid parameter: " + name + " Reason: entry " + std::to_string(n) + " has no key",
           true}};
    auto value = sub.find("value");
    out[key->second] = value == sub.end() ? "" : value->second;
  }
  return out;
}

aws::MessageAttributes MessageAttributesFromForm(const FormParams& form) {
  aws::MessageAttributes out;
  for (const auto& [n, sub] : FormList(form, "MessageAttributes.entry")) {
    auto name = sub.find("Name");
    auto type = sub.find("Value.DataType");
    if (name == sub.end() || type == sub.end())
      throw BadRequest{{400, "InvalidParameter",
                        "Invalid parameter: MessageAttributes Reason: entry " + std::to_string(n) +
                            " needs a Name and a Value.DataType",
                        true}};
    aws::MessageAttributeValue v;
    v.data_type = type->second;
    if (auto s = sub.find("Value.StringValue"); s != sub.end()) v.string_value = s->second;
    if (auto b = sub.find("Value.BinaryValue"); b != sub.end()) {
      auto bytes = Base64Decode(b->second);
      if (!bytes.ok())
        throw BadRequest{{400, "ParameterValueInvalid",
                          "The message attribute '" + name->second +
                              "' has an invalid binary value: not base64.",
                          true}};
      v.binary_value = *bytes;
    }
    out[name->second] = std::move(v);
  }
  return out;
}

void WriteAttributes(XmlWriter& x, const std::map<std::string, std::string>& attrs) {
  x.Open("Attributes");
  for (const auto& [k, v] : attrs) x.Open("entry").Text("key", k).Text("value", v).Close("entry");
  x.Close("Attributes");
}

void WriteSubscriptions(XmlWriter& x, const aws::ListSubscriptionsResult& r) {
  x.Open("Subscriptions");
  for (const auto& s : r.subscriptions) {
    x.Open("member")
        .Text("SubscriptionArn", s.subscription_arn)
        .Text("Owner", s.owner)
        .Text("Protocol", s.protocol)
        .Text("Endpoint", s.endpoint)
        .Text("TopicArn", s.topic_arn)
        .Close("member");
  }
  x.Close("Subscriptions");
  if (!r.next_token.empty()) x.Text("NextToken", r.next_token);
}

}  // namespace

std::unique_ptr<ServiceFront> SnsModel::MakeFront() { return std::make_unique<SnsFront>(*this); }

bool SnsFront::OwnsAction(const std::string& action) const {
  for (const char* a : kActions)
    if (action == a) return true;
  return false;
}

net::HttpResponse SnsFront::ErrorResponse(const RoutedRequest& request, const WireError& error) {
  return QueryErrorResponse(error, request.request_id, kXmlns);
}

void SnsFront::Handle(const RoutedRequest& request, net::Responder respond) {
  const std::string& op = request.operation;
  const std::string& rid = request.request_id;
  auto error = [&](const WireError& e) { respond(QueryErrorResponse(e, rid, kXmlns)); };
  auto fail = [&](const Status& s) {
    ErrorParts p = SplitServiceError(s);
    int status = HttpStatusFor(p.code, p.http_status);
    error({status, p.code, p.message, status < 500});
  };
  // Writes <opResponse><opResult>(body)</opResult><ResponseMetadata/></opResponse>; no Result
  // element for the actions whose output is empty, as SNS answers.
  auto answer = [&](const std::function<void(XmlWriter&)>& body) {
    XmlWriter x;
    x.Open(op + "Response", kXmlns);
    if (body) {
      x.Open(op + "Result");
      body(x);
      x.Close(op + "Result");
    }
    x.Open("ResponseMetadata").Text("RequestId", rid).Close("ResponseMetadata");
    x.Close(op + "Response");
    respond(XmlResponse(std::move(x).str(), rid));
  };

  if (request.wire != "query")
    return error({400, "InvalidAction", "SNS speaks only the query protocol.", true});
  FormParams form = ParseForm(request.http);

  try {
    if (op == "CreateTopic") {
      aws::CreateTopicRequest req;
      req.name = Required(form, "Name");
      req.attributes = AttributeMap(form, "Attributes");
      if (auto dpp = form.find("DataProtectionPolicy"); dpp != form.end())
        req.attributes["DataProtectionPolicy"] = dpp->second;
      for (const auto& [n, sub] : FormList(form, "Tags")) {
        auto k = sub.find("Key");
        auto v = sub.find("Value");
        if (k == sub.end())
          throw BadRequest{{400, "InvalidParameter",
                            "Invalid parameter: Tags Reason: a tag has "
                            "no Key",
                            true}};
        req.tags.push_back({k->second, v == sub.end() ? "" : v->second});
      }
      auto arn = model_.CreateTopic(req);
      if (!arn.ok()) return fail(arn.status());
      return answer([&](XmlWriter& x) { x.Text("TopicArn", *arn); });
    }
    if (op == "ListTopics") {
      auto r = model_.ListTopics(Optional(form, "NextToken"));
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Open("Topics");
        for (const auto& arn : r->topic_arns)
          x.Open("member").Text("TopicArn", arn).Close("member");
        x.Close("Topics");
        if (!r->next_token.empty()) x.Text("NextToken", r->next_token);
      });
    }
    if (op == "GetTopicAttributes") {
      auto r = model_.GetTopicAttributes(Required(form, "TopicArn"));
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) { WriteAttributes(x, *r); });
    }
    if (op == "SetTopicAttributes") {
      Status s =
          model_.SetTopicAttributes(Required(form, "TopicArn"), Required(form, "AttributeName"),
                                    Optional(form, "AttributeValue"));
      if (!s.ok()) return fail(s);
      return answer(nullptr);
    }
    if (op == "DeleteTopic") {
      Status s = model_.DeleteTopic(Required(form, "TopicArn"));
      if (!s.ok()) return fail(s);
      return answer(nullptr);
    }
    if (op == "Subscribe") {
      aws::SubscribeRequest req;
      req.topic_arn = Required(form, "TopicArn");
      req.protocol = Required(form, "Protocol");
      req.endpoint = Optional(form, "Endpoint");
      req.attributes = AttributeMap(form, "Attributes");
      req.return_subscription_arn = Optional(form, "ReturnSubscriptionArn") == "true";
      auto arn = model_.Subscribe(req);
      if (!arn.ok()) return fail(arn.status());
      return answer([&](XmlWriter& x) { x.Text("SubscriptionArn", *arn); });
    }
    if (op == "Unsubscribe") {
      Status s = model_.Unsubscribe(Required(form, "SubscriptionArn"));
      if (!s.ok()) return fail(s);
      return answer(nullptr);
    }
    if (op == "ListSubscriptions" || op == "ListSubscriptionsByTopic") {
      auto r = op == "ListSubscriptions"
                   ? model_.ListSubscriptions(Optional(form, "NextToken"))
                   : model_.ListSubscriptionsByTopic(Required(form, "TopicArn"),
                                                     Optional(form, "NextToken"));
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) { WriteSubscriptions(x, *r); });
    }
    if (op == "GetSubscriptionAttributes") {
      auto r = model_.GetSubscriptionAttributes(Required(form, "SubscriptionArn"));
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) { WriteAttributes(x, *r); });
    }
    if (op == "SetSubscriptionAttributes") {
      Status s = model_.SetSubscriptionAttributes(Required(form, "SubscriptionArn"),
                                                  Required(form, "AttributeName"),
                                                  Optional(form, "AttributeValue"));
      if (!s.ok()) return fail(s);
      return answer(nullptr);
    }
    if (op == "Publish") {
      aws::PublishRequest req;
      req.topic_arn = Optional(form, "TopicArn");
      req.target_arn = Optional(form, "TargetArn");
      if (!Optional(form, "PhoneNumber").empty())
        throw BadRequest{{400, "InvalidParameter",
                          "Invalid parameter: PhoneNumber Reason: SMS is not available in the "
                          "local region",
                          true}};
      req.message = Required(form, "Message");
      req.subject = Optional(form, "Subject");
      req.message_structure = Optional(form, "MessageStructure");
      req.message_attributes = MessageAttributesFromForm(form);
      req.message_group_id = Optional(form, "MessageGroupId");
      req.message_deduplication_id = Optional(form, "MessageDeduplicationId");
      auto r = model_.Publish(req);
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Text("MessageId", r->message_id);
        if (!r->sequence_number.empty()) x.Text("SequenceNumber", r->sequence_number);
      });
    }
  } catch (const BadRequest& b) {
    return error(b.error);
  }
  error({400, "InvalidAction", "The action " + op + " is not valid for this endpoint.", true});
}

}  // namespace steady::region
