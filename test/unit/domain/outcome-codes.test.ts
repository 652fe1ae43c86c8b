import { describe, it, expect } from 'vitest';
import { DECISION_CODES, DECISION_MESSAGES, formatDecisionMessage } from '../../../src/domain/outcome-codes.js';

describe('decision messages', () => {
  it('has a message for every code', () => {
    for (const code of DECISION_CODES) expect(DECISION_MESSAGES[code]).toMatch(/\.$/);
  });

  it('fills the contract number and component into the templates', () => {
    const values = { contractNumber: '1234', component: 'battery_optimization' } as const;
    expect(formatDecisionMessage('CONTRACT_NOT_FOUND', values)).toBe('Contract 1234 not found.');
    expect(formatDecisionMessage('COMPONENT_NOT_CONFIGURED', values)).toBe(
      'Component battery_optimization is not configured for contract 1234.',
    );
    expect(formatDecisionMessage('ACCEPTED', values)).toBe('Event processed successfully.');
  });

  it('inserts contract numbers literally, even ones that look like replacement patterns', () => {
    const values = { contractNumber: "$& $' $1 {c}", component: 'energy_supply' } as const;
    expect(formatDecisionMessage('CONTRACT_NOT_FOUND', values)).toBe("Contract $& $' $1 {c} not found.");
  });
});
