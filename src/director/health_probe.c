/* health_probe.c — one health probe of one backend (see health.h). A plain
 * backend gets the MQTT probe of mqtt/probe.h. A backend that is sent a PROXY
 * v2 header (--send-proxy-v2, or --backend ADDR,send-proxy-v2) refuses a
 * connection that does not start with one, so its probe starts with a v2 LOCAL
 * header (proxy-protocol.txt §2.2: "the connection was established on purpose
 * by the proxy without being relayed", the health check case) and then speaks
 * the same CONNECT -> CONNACK. */
#include "director/health.h"

#include "director/proxy.h"
#include "mqtt/probe.h"

int director_health_probe(const struct sockaddr_storage *addr, int proxy_v2, uint64_t timeout_ns,
			  char *err, size_t errlen)
{
	if (!proxy_v2)
		return mqtt_probe_connack(addr, timeout_ns, err, errlen);
	uint8_t local[PROXY_V2_HDR];
	struct mqtt_probe_pre pre = {local, proxy_v2_build_local(local, sizeof(local)), "v2-"};
	return mqtt_probe_connack_pre(addr, &pre, timeout_ns, err, errlen);
}
