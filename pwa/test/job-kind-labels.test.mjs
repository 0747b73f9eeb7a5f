// The job page, the slip and the completion form speak of the job's own kind (R-IN-2): a complaint
// or a cleaning job is no 报修, and its form does not suggest a kitchen tap.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { placeholderFor } from '../src/views/complete.js';
import { contentLabel, kindLabel, titleRepeatsContent } from '../src/views/job.js';

test('the content is labelled by the job kind', () => { // R-IN-2
  setLang('zh');
  assert.equal(contentLabel('repair'), '报修内容');
  assert.equal(contentLabel('complaint'), '投诉内容');
  assert.equal(contentLabel('help'), '求助内容');
  assert.equal(contentLabel('special_service'), '服务要求');
  assert.equal(contentLabel('daily_affair'), '事务内容');
  assert.equal(contentLabel(undefined), '内容');
  assert.equal(kindLabel('special_service'), '特约服务');
  setLang('en');
  assert.equal(contentLabel('complaint'), 'Complaint');
  assert.equal(contentLabel('repair'), 'Repair request');
  setLang('zh');
});

test('only a repair is offered the kitchen-tap example', () => { // R-IN-2
  setLang('zh');
  assert.match(placeholderFor('work', 'repair'), /水龙头/);
  for (const kind of ['complaint', 'help', 'special_service', 'daily_affair', undefined]) {
    assert.doesNotMatch(placeholderFor('work', kind), /水龙头/, kind);
    assert.doesNotMatch(placeholderFor('materials', kind), /阀芯/, kind);
  }
});

test('a title that is the content, or its first 100 characters, is shown once', () => {
  const long = '3栋电梯厅地面有大片污渍，已两天没人清理'.repeat(6);
  assert.equal(titleRepeatsContent({ title: long.slice(0, 100), content: long }), true);
  assert.equal(titleRepeatsContent({ title: '更换水龙头', content: '厨房水龙头漏水' }), false);
  assert.equal(titleRepeatsContent({ title: '', content: '厨房水龙头漏水' }), false);
});
