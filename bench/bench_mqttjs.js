// bench_mqttjs.js — the MQTT.js peer of bench/bench_generator.sh: P publishers
// and S subscribers in one node process, every publisher sends M messages of
// SIZE bytes to bench/test as fast as the library lets it (QoS 0: in batches
// with setImmediate between them; QoS 1: up to 100 unacknowledged), every
// subscriber counts what it gets. Prints "published N received N" once every
// message arrived (same work as the other tools: no idle cut-off), or at the
// BOUND (seconds, default 300) with what it has and exit status 1.
// usage: node bench_mqttjs.js URL P S M QOS SIZE [BOUND]
const mqtt = require('mqtt');
const [url, P, S, M, QOS, SIZE, BOUND] = [process.argv[2], ...process.argv.slice(3).map(Number)];
const payload = Buffer.alloc(SIZE, 0);
let published = 0, received = 0, acked = 0, subsReady = 0, pubsDone = 0;
const expected = P * M * S;
const subs = [], pubs = [];
function finish(complete) {
	console.log(`published ${published} received ${received}`);
	for (const c of subs.concat(pubs)) c.end(true);
	process.exit(complete ? 0 : 1);
}
setInterval(() => {
	if (pubsDone === P && received >= expected) finish(true);
}, 100);
setTimeout(() => finish(false), (BOUND || 300) * 1000);
function startPublishers() {
	for (let i = 0; i < P; i++) {
		const c = mqtt.connect(url, { clientId: `mqttjs_pub_${i}`, protocolVersion: 5, reconnectPeriod: 0 });
		pubs.push(c);
		c.on('connect', () => {
			let sent = 0, outstanding = 0;
			const pump = () => {
				if (QOS === 0) {
					for (let k = 0; k < 100 && sent < M; k++, sent++, published++)
						c.publish('bench/test', payload, { qos: 0 });
					if (sent < M) setImmediate(pump); else pubsDone++;
					return;
				}
				while (outstanding < 100 && sent < M) {
					outstanding++; sent++; published++;
					c.publish('bench/test', payload, { qos: QOS }, () => {
						outstanding--; acked++;
						if (sent === M && outstanding === 0) pubsDone++;
						else pump();
					});
				}
			};
			pump();
		});
	}
}
for (let i = 0; i < S; i++) {
	const c = mqtt.connect(url, { clientId: `mqttjs_sub_${i}`, protocolVersion: 5, reconnectPeriod: 0 });
	subs.push(c);
	c.on('connect', () => c.subscribe('bench/test', { qos: QOS }, () => {
		if (++subsReady === S) startPublishers();
	}));
	c.on('message', () => { received++; });
}
