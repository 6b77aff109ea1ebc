/** The retained `config/desired` of a box, as a client connecting now sees it. */
import { connectAsync } from 'mqtt';
import { topics, type ConfigDesiredMessage } from '../../contract/index.js';

export async function retainedDesiredConfig(url: string, root: string, deviceId: string): Promise<ConfigDesiredMessage> {
  const c = await connectAsync(url);
  try {
    return await new Promise((resolve) => {
      c.on('message', (_t, payload) => resolve(JSON.parse(payload.toString()) as ConfigDesiredMessage));
      void c.subscribeAsync(topics.configDesired(root, deviceId), { qos: 1 });
    });
  } finally {
    await c.endAsync();
  }
}
