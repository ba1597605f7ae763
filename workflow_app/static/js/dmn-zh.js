// dmn-js in Chinese: a translate module (dmn-js calls translate(text, replacements) for its labels).
(function () {
  "use strict";
  var zh = {
    "Activate hand tool": "抓手工具（拖动画布）", "Activate lasso tool": "套索工具", "Add cell description": "添加单元格说明",
    "Add input column left": "在左侧添加输入列", "Add input column right": "在右侧添加输入列", "Add input": "添加输入",
    "Add output column left": "在左侧添加输出列", "Add output column right": "在右侧添加输出列", "Add output": "添加输出",
    "Add predefined values": "添加预定义值", "Add rule above": "在上方添加规则", "Add rule below": "在下方添加规则",
    "Add rule": "添加规则", "Add values": "添加值", "After": "之后", "And": "且", "Annotation": "注释", "Annotations": "注释",
    "Before": "之前", "Between": "介于", "Boolean value": "布尔值", "Change cell expression language": "更改单元格表达式语言",
    "Change type": "更改类型", "Clear predefined values": "清除预定义值", "Comparison operator": "比较运算符",
    "Comparison": "比较", "Copy input column": "复制输入列", "Copy output column": "复制输出列", "Copy rule": "复制规则",
    "Create decision": "创建决策", "Create input data": "创建输入数据", "Custom values": "自定义值",
    "Cut input column": "剪切输入列", "Cut output column": "剪切输出列", "Cut rule": "剪切规则", "Decision name": "决策名称",
    "Decision name: ": "决策名称：", "Definition ID": "定义标识", "Definition name": "定义名称", "Delete": "删除",
    "Edit": "编辑", "Edit boolean": "编辑布尔值", "Edit input": "编辑输入", "Edit number": "编辑数值", "Edit output": "编辑输出",
    "Edit string": "编辑字符串", "Element name": "元素名称", "Enter expression": "输入表达式", "Equals": "等于",
    "Exactly": "恰好", "Exclude": "排除", "Expression language": "表达式语言", "Expression language:": "表达式语言：",
    "Expression": "表达式", "Greater or equals": "大于等于", "Greater": "大于", "Hit policy": "命中策略",
    "Hit policy:": "命中策略：", "Include": "包含", "Input expression": "输入表达式", "Input expression: ": "输入表达式：",
    "Input label": "输入标签", "Input label: ": "输入标签：", "Input type": "输入类型", "Input values": "输入取值",
    "Input": "输入", "Less or equals": "小于等于", "Less": "小于", "Match none": "不匹配", "Match one": "匹配其一",
    "Move rule": "移动规则", "No values": "无取值", "No": "否", "Output label": "输出标签", "Output label: ": "输出标签：",
    "Output name": "输出名称", "Output name: ": "输出名称：", "Output type": "输出类型", "Output values": "输出取值",
    "Output": "输出", "Paste input column left": "粘贴到左侧输入列", "Paste input column right": "粘贴到右侧输入列",
    "Paste output column left": "粘贴到左侧输出列", "Paste output column right": "粘贴到右侧输出列",
    "Paste rule above": "粘贴到上方", "Paste rule below": "粘贴到下方", "Predefined values": "预定义值", "Range": "区间",
    "Remove cell description": "删除单元格说明", "Remove input column": "删除输入列", "Remove output column": "删除输出列",
    "Remove rule": "删除规则", "Resize": "调整大小", "Search in diagram": "在图中搜索", "Set value": "设置值",
    "String value": "字符串值", "Strings must be in double quotes": "字符串须用双引号", "Test type": "测试类型",
    "Then": "则", "Type": "类型", "Value": "值", "Values": "取值", "Variable name": "变量名", "Variable name:": "变量名：",
    "Variable type": "变量类型", "Variable type:": "变量类型：", "View DRD": "查看决策需求图", "When": "当", "Yes": "是",
    "Literal expression": "字面表达式", "Literal expression editor": "字面表达式编辑器",
    "Unique": "唯一命中", "First": "首个命中", "Priority": "按优先级", "Any": "任意", "Collect": "收集全部",
    "Rule order": "按规则顺序", "Output order": "按输出顺序", "Collect (Sum)": "收集求和", "Collect (Min)": "收集最小值",
    "Collect (Max)": "收集最大值", "Collect (Count)": "收集计数",
    // Data types (typeRef): dmn-js shows translate(typeRef) in the column heads and the type menu; the
    // stored value stays the DMN name.
    "string": "字符串", "boolean": "布尔", "number": "数值", "integer": "整数", "long": "长整数", "double": "小数",
    "date": "日期", "time": "时间", "dateTime": "日期时间", "dayTimeDuration": "时长（日时）",
    "yearMonthDuration": "时长（年月）",
    // Hit policy explanations (shown as the policy's tooltip).
    "No overlap is possible and all rules are disjoint. Only a single rule can be matched": "规则互不重叠，只能命中一条",
    "Rules may overlap. The first matching rule will be chosen": "规则可以重叠，取第一条命中的规则",
    "Rules may overlap. The one with the highest priority will be chosen": "规则可以重叠，取优先级最高的一条",
    "Rules may overlap. Their output have to match": "规则可以重叠，但命中规则的输出必须一致",
    "Collects the values of all matching rules": "收集所有命中规则的值",
    "Collects the values of all matching rules and sums up to a single value": "收集所有命中规则的值并求和",
    "Collects the values of all matching rules and uses the lowest value": "收集所有命中规则的值并取最小值",
    "Collects the values of all matching rules and uses the highest value": "收集所有命中规则的值并取最大值",
    "Collects the values of all matching rules and counts the number of them": "收集所有命中规则并计数",
    "Collects the values of all matching rules in rule order": "按规则顺序收集所有命中规则的值",
    "Collects the values of all matching rules in decreasing output priority order": "按输出优先级从高到低收集所有命中规则的值",
    // Cell editors for dates, times, durations and ranges; function and boxed expressions; the DRD palette.
    "Date": "日期", "Date and time": "日期时间", "Date and time value": "日期时间值", "Date value": "日期值",
    "Duration value": "时长值", "Edit date": "编辑日期", "Edit date and time": "编辑日期时间", "Edit duration": "编辑时长",
    "Edit end date": "编辑结束日期", "Edit end date and time": "编辑结束日期时间", "Edit end time": "编辑结束时间",
    "Edit start date": "编辑开始日期", "Edit start date and time": "编辑开始日期时间", "Edit start time": "编辑开始时间",
    "Edit time": "编辑时间", "Edit formal parameters": "编辑形式参数", "Edit function kind": "编辑函数类型",
    "Editing not supported for set expression language": "当前表达式语言不支持在此编辑",
    "End date": "结束日期", "End date and time": "结束日期时间", "End time": "结束时间", "End value": "结束值",
    "Start date": "开始日期", "Start date and time": "开始日期时间", "Start time": "开始时间", "Start value": "开始值",
    "Expression language: {expressionLanguageLabel}": "表达式语言：{expressionLanguageLabel}",
    "Function kind: {kind}": "函数类型：{kind}", "Kind": "类型", "Range end operator": "区间结束运算符",
    "Range end value": "区间结束值", "Range start operator": "区间开始运算符", "Range start value": "区间开始值",
    "Set date": "设置日期", "Set date and time": "设置日期时间", "Set duration": "设置时长", "Set time": "设置时间",
    "Time": "时间", "Time value": "时间值", "Use now": "使用当前时间", "Use today": "使用今天",
    "e.g. { example } ": "例如：{ example } ", "e.g. { sample }": "例如：{ sample }", "name": "名称",
    "Add parameter": "添加参数", "Remove parameter": "删除参数", "Add text annotation": "添加文本注释",
    "Append business knowledge model": "追加业务知识模型", "Append decision": "追加决策", "Append input data": "追加输入数据",
    "Append knowledge source": "追加知识来源", "Connect to other element": "连接到其他元素",
    "Create decision service": "创建决策服务", "Create knowledge model": "创建业务知识模型",
    "Create knowledge source": "创建知识来源"
  };
  // Tooltips and labels dmn-js writes without translate() (the column drag handles, the context menu's
  // accessible name): put in Chinese as they appear.
  var titles = { "Move Input": "移动输入列", "Move Output": "移动输出列", "Decision table context menu": "决策表快捷菜单",
                 '"value", "value", ...': '"取值1", "取值2", ...' };
  var ATTRIBUTES = ["title", "aria-label", "placeholder"];
  function translate(template, replacements) {
    var text = zh[template] || template;
    replacements = replacements || {};
    return text.replace(/{([^}]+)}/g, function (_, key) { return key in replacements ? replacements[key] : "{" + key + "}"; });
  }
  function retitle(root) {
    if (!root.querySelectorAll) { return; }
    Array.prototype.forEach.call(root.querySelectorAll("[title], [aria-label], [placeholder]"), function (node) {
      ATTRIBUTES.forEach(function (name) {
        var text = node.getAttribute(name);
        if (text && titles[text]) { node.setAttribute(name, titles[text]); }
      });
    });
  }
  // The type box of a column's popup is a combo box showing the DMN type name it stores ("string"); its
  // Chinese name is shown over it (css: .type-ref-edit-select[data-zh]) until the designer types in it.
  function typeLabels() {
    Array.prototype.forEach.call(document.querySelectorAll(".type-ref-edit-select"), function (box) {
      var input = box.querySelector("input");
      if (!input) { return; }
      var shown = zh[input.value] || input.value;
      if (box.getAttribute("data-zh") !== shown) { box.setAttribute("data-zh", shown); }
      if (!box.socorgWatched) {
        box.socorgWatched = true;
        input.addEventListener("input", typeLabels);
        input.addEventListener("blur", function () { setTimeout(typeLabels, 0); });
      }
    });
  }
  if (window.MutationObserver) {
    new MutationObserver(function (changes) {
      typeLabels();
      changes.forEach(function (change) {
        if (change.type === "attributes") { retitle(change.target.parentNode || change.target); }
        change.addedNodes.forEach(function (node) { retitle(node.parentNode || node); });
      });
    }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ATTRIBUTES });
  }
  window.socorgDmnZh = { translate: ["value", translate] };
})();
