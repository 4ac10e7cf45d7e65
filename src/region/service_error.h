// Errors that region models return through the aws:: interfaces. They are ordinary Statuses
// made by aws::ErrorToStatus, so an in-process caller sees exactly what an HTTP client would
// decode; the HTTP front reads the code and message back to write the service's error shape.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace steady::region {

// An AWS error `code` with `message` for `operation`, e.g.
// ServiceError("SendMessage", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue
// does not exist.").
Status ServiceError(std::string_view operation, std::string_view code, std::string_view message,
                    int http_status = 400);

struct ErrorParts {
  std::string code;
  std::string message;
  int http_status = 400;
  bool sender_fault = true;  // false for 5xx
};

// Reads a Status back into what goes on the wire. A Status that no model made (a bug or an I/O
// failure) becomes InternalError/500 (or ServiceUnavailable/503 when retryable).
ErrorParts SplitServiceError(const Status& status);

}  // namespace steady::region
