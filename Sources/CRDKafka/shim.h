// Debian installs librdkafka's headers under a `librdkafka/` prefix.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
