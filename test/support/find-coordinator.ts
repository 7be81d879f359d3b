import { connect } from 'node:net';

/**
 * Asks a broker which node coordinates `groupId` (Kafka's FindCoordinator request, version 2),
 * for tests that kill the coordinator: kafkajs answers this internally but exposes no API for it.
 * Rejects on an error code (e.g. 15, coordinator not available yet) so callers can retry.
 */
export function findCoordinator(broker: string, groupId: string, timeoutMs = 5000): Promise<number> {
  const [host, port] = broker.split(':');
  const clientId = Buffer.from('find-coordinator');
  const key = Buffer.from(groupId);
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 2 + key.length + 1);
  let at = body.writeInt16BE(10, 0); // api key FindCoordinator
  at = body.writeInt16BE(2, at); // api version
  at = body.writeInt32BE(1, at); // correlation id
  at = body.writeInt16BE(clientId.length, at);
  at += clientId.copy(body, at);
  at = body.writeInt16BE(key.length, at);
  at += key.copy(body, at);
  body.writeInt8(0, at); // key type: group
  const frame = Buffer.concat([Buffer.alloc(4), body]);
  frame.writeInt32BE(body.length, 0);

  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) });
    let received = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`FindCoordinator to ${broker} timed out`)));
    socket.on('error', fail);
    socket.on('connect', () => socket.write(frame));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      socket.destroy();
      // size, correlation id, throttle time, error code, error message (nullable), node id, ...
      let offset = 4 + 4 + 4;
      const errorCode = received.readInt16BE(offset);
      offset += 2;
      const messageLength = received.readInt16BE(offset);
      offset += 2 + Math.max(0, messageLength);
      const nodeId = received.readInt32BE(offset);
      if (errorCode !== 0) reject(new Error(`FindCoordinator for ${groupId}: error code ${errorCode}`));
      else resolve(nodeId);
    });
  });
}
