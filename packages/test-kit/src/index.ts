export { crashCheck } from './crash-check.js';
export { brokerPid, startBroker, stopBroker } from './broker.js';
export { canStartBroker, ensureBroker, kafkaAvailability, type TestBroker } from './test-broker.js';
export { produceTo, readTopic, setTopicConfig, uniqueTopic, type ReadRecord } from './topics.js';
export { waitFor } from './wait-for.js';
export { kafkaClientsUnderTest, type KafkaClientName } from './kafka-clients.js';
export { freePort } from './free-port.js';
export { depthDisagreement } from './depth-agreement.js';
export { prng } from './prng.js';
